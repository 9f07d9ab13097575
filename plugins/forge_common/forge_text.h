// Small text rules shared by the forges: what a branch name may be, how a
// tracking issue's checklist line is ticked, how a PR number is read.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mi2::forge {

// A git branch name mi2 will push: [A-Za-z0-9._/-], no "..", no leading '-'
// or '/', no trailing '/' or ".lock". Stricter than git, on purpose.
bool valid_branch_name(const std::string& name);

enum class TickResult { kTicked, kAlreadyTicked, kNotListed };

// Ticks the checklist line ("- [ ] <slug> (<id>)") whose slug or id is
// `instance`, in place; a failure mark on it (tracking_checklist.h) goes.
TickResult tick_checklist(std::string& body, const std::string& instance);

// Whether `line` is a checklist item ("- [ ] text", "* [x] text"): then `box`
// is the index of the box's character and `text` the item, trimmed.
bool checklist_item(const std::string& line, size_t& box, std::string& text);

// Whether the item text names `instance` (a slug or an id): "<slug>",
// "<slug> (<id>)" or anything holding "(<id>)".
bool item_names(const std::string& text, const std::string& instance);

// "v4.1.0" -> "4.1.0"; anything else unchanged.
std::string strip_v_prefix(const std::string& tag);

// The main-branch build tag ("208045_2023-04-01_5.0-0c4a8d6bb3e2") with the
// highest build number among `tags`; empty when none is one.
std::string newest_main_branch_tag(const std::vector<std::string>& tags);

// True when `token` occurs in `text` not followed or preceded by a letter,
// digit, '-', '_' or '.' (so dispatch id "b-src-a1" does not match "b-src-a10").
bool contains_token(const std::string& text, const std::string& token);

// object[key] when it is a string, else "".
std::string text_of(const nlohmann::json& object, const char* key);

// The items joined with `separator`.
std::string join(const std::vector<std::string>& items, const char* separator);

// $NAME when set and not empty, else "".
std::string env_text(const char* name);

// A PR/issue number from a step input value: 12, "12" or "#12". Throws
// sdk::invalid_input naming `what` otherwise.
int64_t parse_number(const nlohmann::json& value, const std::string& what);

}  // namespace mi2::forge
