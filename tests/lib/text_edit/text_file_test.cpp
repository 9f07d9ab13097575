// The atomic write host and plugins share, and the whole-file read.
#include "lib/text_edit/text_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>

#include "tests/support/temp_dir.h"

namespace mi2::text_edit {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::TempDir;
using test::write_file;

TEST(WriteFileAtomic, ReplacesContentsAndKeepsTheMode) {
  TempDir dir;
  fs::path file = dir / "config.yaml";
  write_file(file, "old\n");
  ::chmod(file.c_str(), 0640);
  ASSERT_EQ(write_file_atomic(file, "new\n"), "");
  EXPECT_EQ(read_file(file), "new\n");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(WriteFileAtomic, FailureLeavesTheOriginalAndNoTempFile) {
  TempDir dir;
  fs::path file = dir / "config.yaml";
  std::string original(4096, 'x');
  write_file(file, original);

  // A file-size limit makes the write itself fail part-way, as a full disk would.
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 100;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string status = write_file_atomic(file, std::string(10000, 'y'));
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(status.empty());
  EXPECT_NE(status.find(file.string()), std::string::npos);
  EXPECT_NE(status.find("unchanged"), std::string::npos);
  EXPECT_EQ(read_file(file), original);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);

  // Renaming over a folder fails after the write: the temp file goes too.
  fs::create_directories(dir / "folder" / "child");
  EXPECT_NE(write_file_atomic(dir / "folder", "x"), "");
  EXPECT_TRUE(fs::is_directory(dir / "folder" / "child"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
}

TEST(ReadTextFile, ReadsEveryByteOrNothing) {
  TempDir dir;
  write_file(dir / "crlf.yaml", "a: 1\r\nb: 2");
  EXPECT_EQ(read_text_file(dir / "crlf.yaml"), std::optional<std::string>("a: 1\r\nb: 2"));
  EXPECT_FALSE(read_text_file(dir / "missing.yaml"));
}

}  // namespace
}  // namespace mi2::text_edit
