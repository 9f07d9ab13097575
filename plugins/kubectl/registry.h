// Whether an image tag exists in its registry: the Registry HTTP API v2 (the
// OCI distribution spec), through the host's http service, read-only. Used by
// preflight for <registry>/migrator:<version>, so a version the registry does
// not have is refused before config.yaml is bumped.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>

#include "plugins/kubectl/settings.h"

namespace mi2::kubectl {

struct ImageLookup {
  enum Answer { kFound, kMissing, kUnknown } answer = kUnknown;
  std::string url;  // the manifest URL asked
  std::string why;  // for kMissing and kUnknown: what the registry answered, or why none
};

// The API base for `settings.registry`: settings.registry_api when set,
// "https://registry-1.docker.io" for Docker Hub (docker.io, index.docker.io),
// else https://<registry host>. "" when registry_api is "off".
std::string registry_api_base(const Settings& settings);

// The repository path of `image` under `registry` ("index.docker.io/sourcegraph",
// "migrator" -> "sourcegraph/migrator").
std::string registry_repository(const std::string& registry, const std::string& image);

// GET <api>/v2/<repository>/manifests/<tag> (index, list and image manifest
// types accepted). A 401 with a Bearer challenge is answered once with an
// anonymous pull token from its realm (the token is given to redact). 200 is
// kFound, 404 kMissing; anything else, or no answer, kUnknown.
ImageLookup lookup_image(const sdk::Host& host, const std::string& api,
                         const std::string& repository, const std::string& tag);

}  // namespace mi2::kubectl
