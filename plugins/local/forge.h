// The vcs role: real git (the fleet repo and its origin, a bare repo) and a
// local forge: <forge_dir>/pulls/<n>.json and <forge_dir>/issues/<n>.json,
// which `mi2 pr list|view|approve|merge` read and change. A merge squashes the
// PR's branch into the origin's base branch. One function per vcs action.
#pragma once

#include "local_context.h"

namespace mi2::local {

json publish(LocalContext& ctx);               // vcs.publish: commit, push, open/update the PR
json pr_list(LocalContext& ctx);               // vcs.pr-list
json pr_view(LocalContext& ctx);               // vcs.pr-view
json pr_approve(LocalContext& ctx);            // vcs.pr-approve
json pr_merge(LocalContext& ctx);              // vcs.pr-merge: squash into the origin's base
json tracking_issue(LocalContext& ctx);        // vcs.tracking-issue
json tracking_issue_check(LocalContext& ctx);  // vcs.tracking-issue-check
json tracking_issue_sync(LocalContext& ctx);   // vcs.tracking-issue-sync: tick merged, mark failed
json latest_version(LocalContext& ctx);        // vcs.latest-version: newest release, no rc

}  // namespace mi2::local
