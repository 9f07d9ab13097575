// Sets image tags in a kustomization's `images:` list with the shared
// line-preserving editor (lib/text_edit), so comments, key order and quoting of
// everything else stay as they were.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "plugins/kubectl/settings.h"

namespace mi2::kubectl {

struct ImageTagEdit {
  std::string name;     // the entry's `name:`
  std::string old_tag;  // empty when the entry had no newTag
  std::string new_tag;
  bool digest_removed = false;  // a pinned digest would override the new tag
};

struct ImageTagResult {
  std::string text;
  std::vector<ImageTagEdit> edits;  // every application entry, changed or not
  bool changed = false;
};

// Decides whether an `images:` entry (its name and newName) is the application's.
using ImageFilter = std::function<bool(const std::string& name, const std::string& new_name)>;

// Sets `newTag: tag` on every entry the filter accepts. Throws sdk::Error naming
// `file_label` when the list is in flow style or the result does not parse back
// with the new tags.
ImageTagResult set_image_tags(const std::string& yaml_text, const ImageFilter& is_app_image,
                              const std::string& tag, const std::string& file_label);

// The filter mi2.yaml asks for: the `images` names when given (full or last
// path part), else every image under `registry`.
ImageFilter application_images(const Settings& settings);

// A valid image tag (what a version becomes): [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_image_tag(const std::string& tag);

}  // namespace mi2::kubectl
