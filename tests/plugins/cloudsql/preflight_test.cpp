// backup.preflight: one read-only `gcloud sql instances describe` before the
// bump, answered by the scripted gcloud the way the real CLI answers — a
// runnable instance, no active account, expired credentials, a missing or
// forbidden instance, a suspended or stopped one, no gcloud at all — and the
// same in a dry run.
#include <fstream>

#include "tests/plugins/cloudsql/plugin_fixture.h"

namespace mi2::test {
namespace {

const Argv kDescribe = {"gcloud",       "sql",           "instances",
                        "describe",     "src-1a2b3c-pg", "--project=src-acme-prj",
                        "--format=json"};

// gcloud's words when the stored credentials were revoked or expired.
const char* const kExpired =
    "There was a problem refreshing your current auth tokens: ('invalid_grant: Bad Request', "
    "{'error': 'invalid_grant', 'error_description': 'Bad Request'})\nPlease run:\n\n  $ gcloud "
    "auth login\n\nto obtain new credentials.\n\nIf you have already logged in with a different "
    "account, run:\n\n  $ gcloud config set account ACCOUNT\n\nto select an already "
    "authenticated account to use.";

// The runnable instance of fixtures/responses with `field` set to `value`.
Json instance_with(const std::string& pointer, const Json& value) {
  std::ifstream in(cloudsql_fixtures() / "responses/instance-runnable.json");
  Json instance = Json::parse(in);
  instance[Json::json_pointer(pointer)] = value;
  return Json{{"stdout", instance.dump(2)}};
}

class CloudsqlPreflight : public CloudsqlTest {
 protected:
  Driver::Reply preflight() {
    return driver->invoke("backup", "preflight", sample_input({{"roles", {"backup"}}}));
  }
};

TEST_F(CloudsqlPreflight, ARunnableInstanceIsDescribedOnceReadOnlyAlsoInADryRun) {
  gcloud.rule({"sql", "instances", "describe"}, {answer("instance-runnable.json")});
  for (bool dry_run : {false, true}) {
    start();
    driver->fake.dry_run = dry_run;
    auto reply = preflight();
    ASSERT_TRUE(reply.ok()) << reply.error;
    EXPECT_EQ(reply.output, (Json{{"instance", "src-1a2b3c-pg"},
                                  {"project", "src-acme-prj"},
                                  {"state", "RUNNABLE"},
                                  {"database_version", "POSTGRES_15"}}));
    ASSERT_EQ(driver->fake.exec_calls.size(), 1u);
    EXPECT_FALSE(driver->fake.exec_calls[0].mutating);
  }
  EXPECT_EQ(gcloud.argvs(), std::vector<Argv>(2, kDescribe));
}

TEST_F(CloudsqlPreflight, NoActiveAccountNamesAuthLogin) {
  gcloud.rule({"sql"}, {gcloud_error("sql.instances.describe", kNoAccount)});
  start();
  auto reply = preflight();
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error,
            "gcloud has no active account to reach Cloud SQL instance src-1a2b3c-pg (project "
            "src-acme-prj): run `gcloud auth login` (or `gcloud auth activate-service-account`), "
            "or run mi2 where workload identity gives gcloud a service account, then try again.");
}

TEST_F(CloudsqlPreflight, ExpiredCredentialsNameAuthLogin) {
  gcloud.rule({"sql"}, {gcloud_error("sql.instances.describe", kExpired)});
  start();
  auto reply = preflight();
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error.rfind("gcloud has no active account to reach Cloud SQL instance", 0), 0u)
      << reply.error;
}

TEST_F(CloudsqlPreflight, AMissingInstanceIsNamedWithWhereToSetIt) {
  gcloud.rule({"sql"}, {gcloud_error("sql.instances.describe",
                                     "HTTPError 404: The Cloud SQL instance does not exist.")});
  start();
  auto reply = preflight();
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error,
            "Cloud SQL instance src-1a2b3c-pg does not exist in project src-acme-prj (gcloud: "
            "HTTPError 404: The Cloud SQL instance does not exist); set plugins.cloudsql.instance "
            "in mi2.yaml or status.gcp.cloudSQL in the config.yaml of src-1a2b3c.");
}

TEST_F(CloudsqlPreflight, AForbiddenInstanceNamesTheAccountCheck) {
  gcloud.rule({"sql"},
              {gcloud_error("sql.instances.describe",
                            "HTTPError 403: The client is not authorized to make this request.")});
  start();
  auto reply = preflight();
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error,
            "gcloud may not use Cloud SQL instance src-1a2b3c-pg (project src-acme-prj), or that "
            "instance does not exist (Cloud SQL answers 403 for both): HTTPError 403: The client "
            "is not authorized to make this request; check `gcloud sql instances describe "
            "src-1a2b3c-pg --project=src-acme-prj` with the account mi2 runs as.");
}

TEST_F(CloudsqlPreflight, ASuspendedOrStoppedInstanceCannotBeBackedUp) {
  gcloud.rule(
      {"sql", "instances", "describe"},
      {instance_with("/state", "SUSPENDED"), instance_with("/settings/activationPolicy", "NEVER")});
  start();
  auto suspended = preflight();
  EXPECT_EQ(suspended.status, MI2_FAILED);
  EXPECT_EQ(suspended.error,
            "Cloud SQL instance src-1a2b3c-pg (project src-acme-prj) is SUSPENDED, not RUNNABLE, "
            "so no backup can be taken before the migration; wait for it (or repair it) until "
            "`gcloud sql instances describe src-1a2b3c-pg --project=src-acme-prj` says RUNNABLE, "
            "then run the upgrade again.");
  auto stopped = preflight();
  EXPECT_EQ(stopped.status, MI2_FAILED);
  EXPECT_NE(stopped.error.find("is stopped (settings.activationPolicy NEVER)"), std::string::npos)
      << stopped.error;
  EXPECT_NE(stopped.error.find("--activation-policy=ALWAYS"), std::string::npos) << stopped.error;
}

TEST_F(CloudsqlPreflight, NoGcloudIsOneSentence) {
  start(fast_config(R"("gcloud_binary": "/nonexistent/bin/gcloud")"));
  auto reply = preflight();
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error.rfind("gcloud could not be run for Cloud SQL instance src-1a2b3c-pg "
                              "(project src-acme-prj) (plugins.cloudsql.gcloud_binary is "
                              "\"/nonexistent/bin/gcloud\")",
                              0),
            0u)
      << reply.error;
  EXPECT_NE(reply.error.find("install the Google Cloud CLI or set gcloud_binary in mi2.yaml."),
            std::string::npos)
      << reply.error;
}

}  // namespace
}  // namespace mi2::test
