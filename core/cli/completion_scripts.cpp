// The completion scripts. bash and zsh share one set of sh functions whose
// data (each command path's options, value options, next words) is generated
// from the command table; fish gets its own `complete` lines from the same data.
#include <set>
#include <sstream>

#include "core/base/text.h"
#include "core/cli/completion.h"

namespace mi2::cli {
namespace {

std::string words_of(const std::vector<std::string>& words) {
  return join(words, " ");
}

// One `case` arm per path: __mi2_o (long names), __mi2_v (those taking a
// value), __mi2_s (short:long pairs), __mi2_n (next words), __mi2_p (bare words).
std::string sh_spec_function(const std::vector<CompletionPath>& paths) {
  std::ostringstream out;
  out << "# __mi2_spec PATH: the options and next words of a command path; 1 if unknown.\n"
         "__mi2_spec() {\n  case \"$1\" in\n";
  for (const auto& p : paths) {
    std::vector<std::string> longs, values, shorts;
    for (const auto& o : p.spec.options) {
      longs.push_back(o.long_name);
      if (o.takes_value) values.push_back(o.long_name);
      if (o.short_name) shorts.push_back(std::string(1, o.short_name) + ":" + o.long_name);
    }
    out << "    \"" << p.path << "\")\n      __mi2_o='" << words_of(longs) << "'\n      __mi2_v='"
        << words_of(values) << "'\n      __mi2_s='" << words_of(shorts) << "'\n      __mi2_n='"
        << words_of(p.next) << "'\n      __mi2_p='" << p.positional << "' ;;\n";
  }
  out << "    *) return 1 ;;\n  esac\n}\n\n";
  return out.str();
}

std::set<std::string> value_option_names(const std::vector<CompletionPath>& paths) {
  std::set<std::string> names;
  for (const auto& p : paths)
    for (const auto& o : p.spec.options)
      if (o.takes_value) names.insert(o.long_name);
  return names;
}

std::string sh_values_function(const std::vector<CompletionPath>& paths) {
  std::ostringstream out;
  out << "# __mi2_values NAME: the values option NAME takes, one per line.\n"
         "__mi2_values() {\n  case \"$1\" in\n";
  for (const auto& name : value_option_names(paths)) {
    std::string kind = option_values(name);
    if (kind.empty()) continue;
    out << "    " << name << ") ";
    if (is_dynamic_kind(kind))
      out << "__mi2_dynamic " << kind;
    else if (kind == "dirs")
      out << "echo __mi2_dirs__";
    else
      out << "printf '%s\\n' " << kind;
    out << " ;;\n";
  }
  out << "  esac\n}\n\n";
  return out.str();
}

// The walk over the command line and the candidates, in the sh both shells run.
constexpr const char* kShFunctions =
    R"SH(# __mi2_dynamic KIND: values read from the fleet now (mi2 __complete).
__mi2_dynamic() {
  "$__mi2_exe" __complete "$1" ${__mi2_env:+-e "$__mi2_env"} ${__mi2_slug:+--slug "$__mi2_slug"} 2>/dev/null
}

# __mi2_long PATH WORD: the long name of the option WORD spells (-e, -slug, --slug=x).
__mi2_long() {
  local w=${2#-} pair
  w=${w#-}
  w=${w%%=*}
  if [ ${#w} -eq 1 ]; then
    __mi2_spec "$1" || __mi2_spec ""
    for pair in $__mi2_s; do
      if [ "${pair%%:*}" = "$w" ]; then echo "${pair#*:}"; return; fi
    done
  fi
  echo "$w"
}

# __mi2_takes PATH NAME: true when option NAME of PATH takes a value.
__mi2_takes() {
  __mi2_spec "$1" || __mi2_spec ""
  case " $__mi2_v " in *" $2 "*) return 0 ;; esac
  return 1
}

# __mi2_walk WORDS...: reads the words between mi2 and the cursor: the command
# path (__mi2_path) and the -e/--slug values given (__mi2_env, __mi2_slug).
__mi2_walk() {
  __mi2_path= ; __mi2_env= ; __mi2_slug=
  local word name= skip= next
  for word in "$@"; do
    if [ "$word" = "=" ]; then skip=1; continue; fi
    if [ -n "$skip" ]; then
      skip=
      case "$name" in environment) __mi2_env=$word ;; slug) __mi2_slug=$word ;; esac
      continue
    fi
    case "$word" in
      -*=*)
        name=$(__mi2_long "$__mi2_path" "$word")
        case "$name" in environment) __mi2_env=${word#*=} ;; slug) __mi2_slug=${word#*=} ;; esac
        continue ;;
      -*)
        name=$(__mi2_long "$__mi2_path" "$word")
        if __mi2_takes "$__mi2_path" "$name"; then skip=1; fi
        continue ;;
    esac
    next="${__mi2_path:+$__mi2_path }$word"
    if __mi2_spec "$next"; then __mi2_path=$next; fi
  done
}

# __mi2_candidates CUR PREV: the words to offer, one per line.
__mi2_candidates() {
  local cur=$1 prev=$2 name o
  case "$prev" in
    -*=*) ;;
    -*)
      name=$(__mi2_long "$__mi2_path" "$prev")
      if __mi2_takes "$__mi2_path" "$name"; then __mi2_values "$name"; return; fi ;;
  esac
  __mi2_spec "$__mi2_path" || __mi2_spec ""
  case "$cur" in
    --*|-)
      for o in $__mi2_o; do printf '%s\n' "--$o"; done
      if [ "$cur" = "-" ]; then for o in $__mi2_s; do printf '%s\n' "-${o%%:*}"; done; fi
      return ;;
    -*)
      for o in $__mi2_o; do printf '%s\n' "-$o"; done
      for o in $__mi2_s; do printf '%s\n' "-${o%%:*}"; done
      return ;;
  esac
  if [ -n "$__mi2_n" ]; then
    for o in $__mi2_n; do printf '%s\n' "$o"; done
    return
  fi
  if [ -n "$__mi2_p" ]; then __mi2_dynamic "$__mi2_p"; fi
}

)SH";

std::string sh_common(const std::vector<CompletionPath>& paths) {
  return sh_spec_function(paths) + sh_values_function(paths) + kShFunctions;
}

std::string fish_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::string fish_option_line(const std::string& condition, const OptionSpec& o) {
  std::string line = "complete -c mi2" + condition + " -l " + o.long_name + " -o " + o.long_name;
  if (o.short_name) line += " -s " + std::string(1, o.short_name);
  if (!o.description.empty()) line += " -d " + fish_quote(o.description);
  if (!o.takes_value) return line + "\n";
  std::string kind = option_values(o.long_name);
  if (is_dynamic_kind(kind))
    return line + " -x -a " + fish_quote("(__mi2_dynamic " + kind + ")") + "\n";
  if (kind == "dirs") return line + " -r -a '(__fish_complete_directories)'\n";
  if (!kind.empty()) return line + " -x -a " + fish_quote(kind) + "\n";
  return line + " -x\n";
}

}  // namespace

std::string bash_script(const std::vector<CompletionPath>& paths) {
  return "# bash completion for mi2, generated by `mi2 completion bash` from its command table.\n"
         "# Use: source <(mi2 completion bash), or save it as /etc/bash_completion.d/mi2.\n\n" +
         sh_common(paths) + R"SH(_mi2() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev= found
  (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
  # bash splits --opt=value at '=': complete the value of --opt.
  [[ $cur == "=" ]] && cur=
  if [[ $prev == "=" ]] && (( COMP_CWORD > 1 )); then prev=${COMP_WORDS[COMP_CWORD-2]}; fi
  __mi2_exe=${COMP_WORDS[0]}
  __mi2_walk "${COMP_WORDS[@]:1:COMP_CWORD-1}"
  found=$(__mi2_candidates "$cur" "$prev")
  if [[ $found == __mi2_dirs__ ]]; then
    COMPREPLY=($(compgen -d -- "$cur"))
    return 0
  fi
  local IFS=$'\n'
  COMPREPLY=($(compgen -W "$found" -- "$cur"))
}
complete -F _mi2 mi2
)SH";
}

std::string zsh_script(const std::vector<CompletionPath>& paths) {
  return "#compdef mi2\n"
         "# zsh completion for mi2, generated by `mi2 completion zsh` from its command table.\n"
         "# Use: source <(mi2 completion zsh), or save it as _mi2 in a folder on $fpath.\n\n" +
         sh_common(paths) + R"SH(_mi2() {
  setopt localoptions shwordsplit
  local cur=${words[CURRENT]} prev=${words[CURRENT-1]} found
  local -a items
  __mi2_exe=${words[1]}
  __mi2_walk "${(@)words[2,CURRENT-1]}"
  found=$(__mi2_candidates "$cur" "$prev")
  if [[ $found == __mi2_dirs__ ]]; then
    _files -/
    return
  fi
  items=(${(f)found})
  compadd -a items
}

if [ "$funcstack[1]" = "_mi2" ]; then
  _mi2 "$@"
else
  compdef _mi2 mi2
fi
)SH";
}

std::string fish_script(const std::vector<CompletionPath>& paths) {
  std::ostringstream out;
  out << "# fish completion for mi2, generated by `mi2 completion fish` from its command table.\n"
         "# Use: mi2 completion fish > ~/.config/fish/completions/mi2.fish\n\n";
  std::set<std::string> value_options = value_option_names(paths);
  for (const auto& p : paths)
    for (const auto& o : p.spec.options)
      if (o.takes_value && o.short_name) value_options.insert(std::string(1, o.short_name));
  out << "set -g __mi2_value_options " << join({value_options.begin(), value_options.end()}, " ")
      << "\nset -g __mi2_paths";
  for (const auto& p : paths)
    if (!p.path.empty()) out << ' ' << fish_quote(p.path);
  out << R"FISH(

# The command path of the words before the cursor (options and their values skipped).
function __mi2_path
    set -l path
    set -l skip 0
    for w in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case '-*=*'
                continue
            case '-*'
                if contains -- (string replace -r '^--?' '' -- $w) $__mi2_value_options
                    set skip 1
                end
                continue
        end
        if contains -- (string join ' ' $path $w) $__mi2_paths
            set -a path $w
        end
    end
    string join ' ' $path
end

function __mi2_at
    set -l here (__mi2_path)
    test "$here" = "$argv"
end

# Values read from the fleet now (mi2 __complete), with the -e/--slug given.
function __mi2_dynamic
    set -l words (commandline -opc)
    set -l args
    for i in (seq (count $words))
        set -l next (math $i + 1)
        test $next -le (count $words); or break
        switch $words[$i]
            case -e --environment -environment
                set -a args -e $words[$next]
            case -s --slug -slug
                set -a args --slug $words[$next]
        end
    end
    $words[1] __complete $argv[1] $args 2>/dev/null
end

complete -c mi2 -f
)FISH";
  for (const auto& p : paths) {
    std::string condition = " -n " + fish_quote("__mi2_at " + fish_quote(p.path));
    if (!p.next.empty())
      out << "complete -c mi2" << condition << " -a " << fish_quote(words_of(p.next)) << '\n';
    if (!p.positional.empty())
      out << "complete -c mi2" << condition << " -a "
          << fish_quote("(__mi2_dynamic " + p.positional + ")") << '\n';
    for (const auto& o : p.spec.options) out << fish_option_line(condition, o);
  }
  return out.str();
}

}  // namespace mi2::cli
