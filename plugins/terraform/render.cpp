// render: pin the version in each stack's version_file (a one-value text
// edit), or run the configured render_command and report what it changed.
#include <filesystem>
#include <map>
#include <regex>

#include "lib/text_edit/json_value_edit.h"
#include "lib/text_edit/text_file.h"
#include "plugins/terraform/actions.h"
#include "plugins/terraform/stacks.h"

namespace mi2::terraform {
namespace {

namespace fs = std::filesystem;
using text_edit::find_json_value;
using text_edit::replace_json_value;
using text_edit::split_key_path;
using text_edit::TextSpan;

std::string read_text(const fs::path& file) {
  return text_edit::read_text_file(file).value_or("");
}

// A reader never sees half a file.
void write_text_atomic(const fs::path& file, const std::string& text) {
  std::string failed = text_edit::write_file_atomic(file, text);
  if (!failed.empty()) throw sdk::failed(failed);
}

void require_version(const std::string& version, const std::string& instance_id) {
  static const std::regex plain("[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}");
  if (!std::regex_match(version, plain))
    throw sdk::invalid_input("the version to render for instance " + instance_id + " ('" + version +
                             "') is not a plain version such as 4.2.0.");
}

// Pins the version in one stack; the stack's entry of the output.
Json pin_stack(const Stack& stack, const Settings& settings, const std::string& version,
               const std::string& instance_id, bool write) {
  fs::path file = fs::path(stack.dir) / settings.version_file;
  std::string relative = stack.relative + "/" + settings.version_file;
  Json entry = {{"name", stack.name}, {"file", relative}, {"pinned", false}, {"changed", false}};
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return entry;
  std::string text = read_text(file);
  std::vector<std::string> path = split_key_path(settings.version_key);
  std::optional<TextSpan> span;
  try {
    span = find_json_value(text, path);
  } catch (const std::invalid_argument&) {
    throw sdk::failed(relative + " of instance " + instance_id +
                      " is not valid JSON; fix it (or re-generate the stack) and re-run.");
  }
  if (!span) return entry;
  entry["pinned"] = true;
  Json current = Json::parse(text.substr(span->begin, span->end - span->begin), nullptr, false);
  entry["from"] = current;
  entry["to"] = version;
  if (current == Json(version)) return entry;
  entry["changed"] = true;
  if (write) write_text_atomic(file, *replace_json_value(text, path, Json(version).dump()));
  return entry;
}

// Every file under the stacks folder with its contents, to see what a render command changed.
std::map<std::string, std::string> snapshot(const fs::path& instance_dir, const Settings& s) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  fs::path root = instance_dir / s.stacks_dir;
  if (!fs::is_directory(root, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (it->is_directory(ec) && name == ".terraform") it.disable_recursion_pending();
    if (!it->is_regular_file(ec) || name.find(".tfstate") != std::string::npos) continue;
    files[fs::relative(it->path(), instance_dir).generic_string()] = read_text(it->path());
  }
  return files;
}

Json run_render_command(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in,
                        const std::string& version) {
  std::vector<std::string> argv;
  sdk::Placeholders values = sdk::placeholders(in);
  values["version"] = version;
  for (const std::string& arg : settings.render_command) argv.push_back(sdk::expand(arg, values));
  auto before = snapshot(in.instance_dir, settings);
  sdk::ExecOptions options;
  options.cwd = in.instance_dir;
  options.mutating = true;  // it writes the stacks
  options.env = {"MI2_VERSION=" + version};
  sdk::ExecResult r = host.exec(argv, options);
  if (!r.ok() && !r.skipped_dry_run)
    throw sdk::failed("the render command " + argv.front() + " failed for instance " +
                      in.instance_id + " (exit " + std::to_string(r.exit_code) +
                      "); fix plugins.terraform.render_command or the stacks and re-run.");
  Json changed = Json::array();
  auto after = snapshot(in.instance_dir, settings);
  for (const auto& [path, text] : after)
    if (!before.count(path) || before[path] != text) changed.push_back(path);
  for (const auto& [path, text] : before)
    if (!after.count(path)) changed.push_back(path);
  return {{"changed_files", changed}, {"render_command", argv}, {"dry_run", in.dry_run}};
}

}  // namespace

Json render_stacks(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in,
                   const std::string& version) {
  in.require(in.instance_dir, "instance_dir");
  require_version(version, in.instance_id);
  if (!settings.render_command.empty()) return run_render_command(host, settings, in, version);
  bool write = !(in.dry_run || host.dry_run());
  Json changed = Json::array(), stacks = Json::array();
  for (const Stack& stack : find_stacks(settings, in.instance_dir, in.state_dir, in.instance_id)) {
    Json entry = pin_stack(stack, settings, version, in.instance_id, write);
    if (entry["changed"].get<bool>()) changed.push_back(entry["file"]);
    stacks.push_back(entry);
  }
  return {
      {"changed_files", changed}, {"stacks", stacks}, {"version", version}, {"dry_run", !write}};
}

}  // namespace mi2::terraform
