/* A shared object that is not an mi2 plugin: it exports no mi2_plugin_entry. */
#include <mi2/plugin.h>

MI2_EXPORT int noentry_something(int x);
MI2_EXPORT int noentry_something(int x) {
  return x + 1;
}
