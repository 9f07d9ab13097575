// backup.create / list / restore on the real test server: a checkpoint of
// pg_dump files verified by pg_restore before it counts, restored in place in
// one transaction (tables created since the checkpoint go too), corrupt dumps
// refused, dry-run writing nothing.
#include <sys/stat.h>

#include <fstream>

#include "tests/plugins/postgres/plugin_harness.h"

namespace mi2::postgres::test {
namespace {

using sdk::Json;

class PostgresBackupTest : public PgPluginTest {
 protected:
  fs::path backups() const { return dir_.path() / "state/postgres/backups"; }
  // A pg_dump that writes its dump, then damages the middle of it.
  fs::path corrupting_pg_dump() {
    fs::path script = dir_.path() / "corrupting-pg_dump";
    mi2::test::write_file(script,
                          "#!/bin/sh\n"
                          "pg_dump \"$@\" || exit $?\n"
                          "for a in \"$@\"; do case \"$a\" in --file=*) f=\"${a#--file=}\";; esac; "
                          "done\n"
                          "size=$(stat -c %s \"$f\")\n"
                          "head -c $((size / 2)) \"$f\" > \"$f.half\" && mv \"$f.half\" \"$f\"\n");
    chmod(script.c_str(), 0755);
    return script;
  }
};

void damage(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  auto size = fs::file_size(file);
  f.seekp(static_cast<std::streamoff>(size / 2));
  std::string junk(64, '\x5a');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

TEST_F(PostgresBackupTest, BackupThenDeleteRowsThenRestoreBringsThemBack) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  ASSERT_TRUE(d->invoke("migrate", "up", input("4.1.0")).ok());
  auto created = d->invoke("backup", "create", input("4.1.0", {{"name", "before"}}));
  ASSERT_TRUE(created.ok()) << created.error;
  Json checkpoint = created.output["checkpoint"];
  EXPECT_EQ(checkpoint["id"], "before");
  EXPECT_GT(checkpoint["databases"]["pgsql"]["entries"].get<int>(), 5);
  EXPECT_TRUE(fs::exists(backups() / "before/pgsql.dump"));
  EXPECT_TRUE(fs::exists(backups() / "before/checkpoint.json"));
  std::string argv = all_argv(d->fake);
  EXPECT_NE(argv.find("pg_dump --format=custom --no-owner --no-privileges --file="),
            std::string::npos)
      << argv;
  EXPECT_NE(argv.find("pg_restore --list"), std::string::npos);
  EXPECT_EQ(argv.find(PgServer::get().password()), std::string::npos);

  PgServer::get().query(db_, "DELETE FROM users WHERE username <> 'alice'");
  ASSERT_EQ(sql("SELECT count(*) FROM users"), std::vector<std::string>{"1"});
  auto list = d->invoke("backup", "list", input("4.1.0"));
  ASSERT_EQ(list.output["backups"].size(), 1u);
  EXPECT_EQ(list.output["backups"][0]["id"], "before");

  auto restored = d->invoke("backup", "restore", input("4.1.0", {{"backup_name", "before"}}));
  ASSERT_TRUE(restored.ok()) << restored.error;
  EXPECT_EQ(restored.output["restored"], "before");
  EXPECT_EQ(sql("SELECT string_agg(username, ',' ORDER BY id) FROM users"),
            std::vector<std::string>{"alice,bob,carol,alice-old"});
  EXPECT_FALSE(fs::exists(dir_.path() / "state/postgres/restore/before.pgsql.sql"));
  auto status = d->invoke("migrate", "status", input("4.1.0"));
  EXPECT_EQ(status.output["applied"].size(), 4u);
}

TEST_F(PostgresBackupTest, RestoringACheckpointFromBeforeAFailedMigrationRemovesWhatItCreated) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  ASSERT_TRUE(d->invoke("migrate", "up", input("4.1.0")).ok());
  ASSERT_TRUE(d->invoke("backup", "create", input("4.1.0", {{"name", "pre-rc2"}})).ok());
  ASSERT_EQ(d->invoke("migrate", "up", input("4.2.0-rc.2")).status, MI2_FAILED);
  ASSERT_EQ(sql("SELECT to_regclass('user_emails') IS NOT NULL"), std::vector<std::string>{"t"});

  auto restored = d->invoke("backup", "restore", input("4.1.0", {{"backup_name", "pre-rc2"}}));
  ASSERT_TRUE(restored.ok()) << restored.error;
  // user_emails (with its foreign key to users) was created after the checkpoint: gone.
  EXPECT_EQ(sql("SELECT to_regclass('user_emails') IS NULL"), std::vector<std::string>{"t"});
  auto status = d->invoke("migrate", "status", input("4.1.0"));
  EXPECT_EQ(status.output["dirty"], false) << status.output.dump();
  EXPECT_EQ(status.output["schema_version"], "4.1.0");
  EXPECT_EQ(sql("SELECT count(*) FROM users"), std::vector<std::string>{"4"});
}

TEST_F(PostgresBackupTest, ACorruptDumpIsRefusedAtVerificationAndNoCheckpointCounts) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver({{"pg_dump_binary", corrupting_pg_dump().string()}});
  ASSERT_TRUE(d->invoke("migrate", "up", input("4.1.0")).ok());
  auto created = d->invoke("backup", "create", input("4.1.0", {{"name", "broken"}}));
  EXPECT_EQ(created.status, MI2_FAILED);
  EXPECT_NE(created.error.find("the dump of database pgsql of instance src-test failed "
                               "verification"),
            std::string::npos)
      << created.error;
  EXPECT_NE(created.error.find("was not kept"), std::string::npos);
  EXPECT_FALSE(fs::exists(backups() / "broken"));
  EXPECT_FALSE(fs::exists(backups() / ".broken.partial"));
  EXPECT_EQ(d->invoke("backup", "list", input("4.1.0")).output["backups"], Json::array());
}

TEST_F(PostgresBackupTest, ACheckpointDamagedLaterIsNotRestoredAndTheDatabaseIsLeftAlone) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  ASSERT_TRUE(d->invoke("migrate", "up", input("4.1.0")).ok());
  ASSERT_TRUE(d->invoke("backup", "create", input("4.1.0", {{"name", "n1"}})).ok());
  damage(backups() / "n1/pgsql.dump");
  PgServer::get().query(db_, "DELETE FROM repos");
  auto restored = d->invoke("backup", "restore", input("4.1.0", {{"backup_name", "n1"}}));
  EXPECT_EQ(restored.status, MI2_FAILED);
  EXPECT_NE(restored.error.find("the checkpoint n1 of database pgsql of instance src-test is "
                                "corrupt"),
            std::string::npos)
      << restored.error;
  EXPECT_NE(restored.error.find("nothing was restored"), std::string::npos);
  EXPECT_EQ(sql("SELECT count(*) FROM repos"), std::vector<std::string>{"0"});
}

TEST_F(PostgresBackupTest, DryRunWritesNoFileAndRestoresNothing) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  ASSERT_TRUE(d->invoke("migrate", "up", input("4.1.0")).ok());
  ASSERT_TRUE(d->invoke("backup", "create", input("4.1.0", {{"name", "real"}})).ok());
  PgServer::get().query(db_, "DELETE FROM settings");
  d->fake.dry_run = true;
  auto planned = d->invoke("backup", "create", input("4.1.0", {{"name", "planned"}}));
  ASSERT_TRUE(planned.ok()) << planned.error;
  EXPECT_FALSE(fs::exists(backups() / "planned"));
  EXPECT_FALSE(fs::exists(backups() / ".planned.partial"));
  auto restore = d->invoke("backup", "restore", input("4.1.0", {{"backup_name", "real"}}));
  ASSERT_TRUE(restore.ok()) << restore.error;
  EXPECT_EQ(restore.output["dry_run"], true);
  EXPECT_EQ(sql("SELECT count(*) FROM settings"), std::vector<std::string>{"0"});
  EXPECT_FALSE(fs::exists(dir_.path() / "state/postgres/restore"));
}

TEST_F(PostgresBackupTest, NamesAreCheckedAndAnUnknownCheckpointIsASentence) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  ASSERT_TRUE(d->invoke("backup", "create", input("4.1.0", {{"name", "once"}})).ok());
  auto twice = d->invoke("backup", "create", input("4.1.0", {{"name", "once"}}));
  EXPECT_EQ(twice.status, MI2_FAILED);
  EXPECT_NE(twice.error.find("already has a postgres checkpoint named once"), std::string::npos);
  EXPECT_EQ(d->invoke("backup", "create", input("4.1.0", {{"name", "../x"}})).status,
            MI2_INVALID_INPUT);
  auto generated = d->invoke("backup", "create", input("4.1.0"));
  ASSERT_TRUE(generated.ok()) << generated.error;
  EXPECT_EQ(generated.output["checkpoint"]["id"], "20260101T000000Z-test");
  auto missing = d->invoke("backup", "restore", input("4.1.0", {{"backup_name", "nope"}}));
  EXPECT_EQ(missing.status, MI2_FAILED);
  EXPECT_NE(missing.error.find("instance src-test has no postgres checkpoint named nope"),
            std::string::npos);
  EXPECT_EQ(d->invoke("backup", "restore",
                      input("4.1.0", {{"backup_name", "once"}, {"restore_type", "gitserver"}}))
                .status,
            MI2_INVALID_INPUT);
}

}  // namespace
}  // namespace mi2::postgres::test
