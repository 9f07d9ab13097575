// SecretRedactor: registered secrets and credential shapes never reach a log,
// a journal or the terminal.
#include "core/base/redactor.h"

#include <gtest/gtest.h>

#include <thread>

namespace mi2 {
namespace {

TEST(SecretRedactor, MasksEveryOccurrenceOfARegisteredSecret) {
  SecretRedactor r;
  r.add("hunter2-pass");
  EXPECT_EQ(r.apply("a hunter2-pass b hunter2-pass"), "a *** b ***");
  EXPECT_EQ(r.apply("hunter2-passhunter2-pass"), "******");
  EXPECT_EQ(r.apply("nothing here"), "nothing here");
}

TEST(SecretRedactor, IgnoresSecretsTooShortToMaskSafely) {
  SecretRedactor r;
  r.add("abc");
  r.add("");
  EXPECT_EQ(r.apply("abc abc"), "abc abc");
}

TEST(SecretRedactor, MasksALongerSecretWholeEvenIfAShorterOneIsInside) {
  SecretRedactor r;
  r.add("tokenA");
  r.add("xx-tokenA-yy");
  EXPECT_EQ(r.apply("use xx-tokenA-yy and tokenA"), "use *** and ***");
}

TEST(SecretRedactor, MasksCredentialHeadersThatWereNeverRegistered) {
  SecretRedactor r;
  EXPECT_EQ(r.apply("Authorization: Bearer abc.def"), "Authorization: Bearer ***");
  EXPECT_EQ(r.apply("authorization=token ghp_123"), "authorization=token ***");
  EXPECT_EQ(r.apply("PRIVATE-TOKEN: glpat-xyz"), "PRIVATE-TOKEN: ***");
  EXPECT_EQ(r.apply("x-api-key: k123"), "x-api-key: ***");
}

TEST(SecretRedactor, MasksCredentialQueryValues) {
  SecretRedactor r;
  EXPECT_EQ(r.apply("https://h/api?access_token=abc&x=1"), "https://h/api?access_token=***&x=1");
  EXPECT_EQ(r.apply("https://h/api?x=1&private_token=abc"), "https://h/api?x=1&private_token=***");
  EXPECT_EQ(r.apply("https://h/?token=t0k"), "https://h/?token=***");
  EXPECT_EQ(r.apply("https://h/?page=2"), "https://h/?page=2");
}

TEST(SecretRedactor, MasksCredentialFieldsInJson) {
  SecretRedactor r;
  EXPECT_EQ(r.apply(R"({"token":"ghp_abc","name":"x"})"), R"({"token":"***","name":"x"})");
  EXPECT_EQ(r.apply(R"({"Password": "p\"w", "user": "u"})"), R"({"Password": "***", "user": "u"})");
  EXPECT_EQ(r.apply(R"({"token": {"type": "string"}})"), R"({"token": {"type": "string"}})");
  EXPECT_EQ(r.apply(R"({"tokens":"a"})"), R"({"tokens":"a"})");
}

TEST(SecretRedactor, SurvivesLongInput) {
  SecretRedactor r;
  r.add("needle-secret");
  std::string big(1 << 20, 'x');
  big += "needle-secret";
  std::string masked = r.apply("password: " + big);
  EXPECT_EQ(masked.find("needle-secret"), std::string::npos);
  std::string json = R"({"password":")" + std::string(200000, 'p') + R"("})";
  EXPECT_EQ(r.apply(json), R"({"password":"***"})");
}

TEST(SecretRedactor, IsThreadSafe) {
  SecretRedactor r;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&r, i] {
      for (int k = 0; k < 200; ++k) {
        r.add("secret-" + std::to_string(i) + "-" + std::to_string(k));
        (void)r.apply("secret-0-1 secret-1-2");
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.apply("secret-3-199"), "***");
}

TEST(SecretRedactor, GlobalIsOneInstance) {
  EXPECT_EQ(&SecretRedactor::global(), &SecretRedactor::global());
}

}  // namespace
}  // namespace mi2
