// render.render: image tags set in the kustomization text (comments and order
// kept), proven by the real `kubectl kustomize`.
#include <gtest/gtest.h>

#include <cstdlib>

#include "plugins/kubectl/kustomization_images.h"
#include "tests/plugins/kubectl/scripted_kubectl.h"

namespace mi2::test {
namespace {

class KubectlRenderTest : public ::testing::Test {
 protected:
  void SetUp() override { kubectl.pass_kustomize_through(); }
  ScriptedKubectl kubectl;
  SampleFleet fleet;
};

TEST_F(KubectlRenderTest, SetsApplicationTagsKeepingCommentsAndOrder) {
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("render", "render", fleet.input());
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_EQ(call.output["changed_files"], Json::array({"kubernetes/kustomization.yaml"}));

  EXPECT_EQ(read_file(fleet.kustomization()),
            R"(# Generated for src-1a2b3c; mi2 render keeps this comment and the order below.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: src-acme
resources:
  - ../../../../../base/sourcegraph # the shared base
patches:
  # lives outside this folder: needs --load-restrictor LoadRestrictionsNone
  - path: ../../../../../base/patches/frontend-replicas.yaml
images:
  # application images follow spec.sourcegraphVersion
  - name: index.docker.io/sourcegraph/frontend
    newTag: 4.1.0 # the frontend
  - name: index.docker.io/sourcegraph/gitserver
    newTag: "4.1.0"
  - name: sourcegraph/searcher
    newName: index.docker.io/sourcegraph/searcher
    newTag: 4.1.0
  - name: index.docker.io/sourcegraph/migrator
    newTag: 4.1.0
  # third party: pinned, not the application's
  - name: gcr.io/cloudsql-docker/gce-proxy
    newTag: 1.33.2
labels:
  - pairs:
      deploy: sourcegraph
)");

  // The plugin proved the folder builds with the real kustomize, as the runbook does.
  ASSERT_EQ(kubectl.argvs().size(), 1u);
  EXPECT_EQ(kubectl.argvs()[0],
            (Argv{"kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                  (fleet.instance_dir() / "kubernetes").string()}));
  std::string built =
      run_for_output({"/usr/bin/kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                      (fleet.instance_dir() / "kubernetes").string()});
  EXPECT_NE(built.find("image: index.docker.io/sourcegraph/frontend:4.1.0"), std::string::npos);
  EXPECT_NE(built.find("image: index.docker.io/sourcegraph/gitserver:4.1.0"), std::string::npos);
  EXPECT_NE(built.find("image: index.docker.io/sourcegraph/searcher:4.1.0"), std::string::npos);
  EXPECT_NE(built.find("image: gcr.io/cloudsql-docker/gce-proxy:1.33.2"), std::string::npos);
  EXPECT_EQ(built.find(":4.0.0"), std::string::npos);
  EXPECT_NE(built.find("replicas: 2"), std::string::npos);  // the patch from outside the folder
}

TEST_F(KubectlRenderTest, OnlyTheConfiguredImagesChange) {
  auto plugin = make_plugin(kubectl, R"({"images": ["frontend"]})");
  ASSERT_EQ(plugin->invoke("render", "render", fleet.input()).status, MI2_OK);
  std::string text = read_file(fleet.kustomization());
  EXPECT_NE(text.find("newTag: 4.1.0 # the frontend"), std::string::npos);
  EXPECT_NE(text.find("newTag: \"4.0.0\""), std::string::npos);
}

TEST_F(KubectlRenderTest, SecondRenderChangesNothing) {
  auto plugin = make_plugin(kubectl, "{}");
  ASSERT_EQ(plugin->invoke("render", "render", fleet.input()).status, MI2_OK);
  PluginCall again = plugin->invoke("render", "render", fleet.input());
  ASSERT_EQ(again.status, MI2_OK) << again.error;
  EXPECT_TRUE(again.output["changed_files"].empty());
}

TEST_F(KubectlRenderTest, DryRunLeavesTheFile) {
  std::string before = read_file(fleet.kustomization());
  auto plugin = make_plugin(kubectl, "{}");
  Json input = fleet.input();
  input["dry_run"] = true;
  PluginCall call = plugin->invoke("render", "render", input);
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  EXPECT_EQ(call.output["changed_files"], Json::array({"kubernetes/kustomization.yaml"}));
  EXPECT_EQ(read_file(fleet.kustomization()), before);
}

TEST_F(KubectlRenderTest, BrokenKustomizationFailsWithKubectlsReason) {
  write_file(
      fleet.kustomization(),
      "resources:\n  - missing.yaml\nimages:\n  - name: index.docker.io/sourcegraph/frontend\n");
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("render", "render", fleet.input());
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("kubectl kustomize --load-restrictor LoadRestrictionsNone"),
            std::string::npos)
      << call.error;
  EXPECT_NE(call.error.find("src-1a2b3c"), std::string::npos);
}

TEST_F(KubectlRenderTest, HelmChartsWithoutHelmOnPathSaySo) {
  write_file(fleet.kustomization(),
             "helmCharts:\n  - name: sourcegraph\n    repo: https://helm.sourcegraph.com/release\n"
             "images:\n  - name: index.docker.io/sourcegraph/frontend\n    newTag: 4.0.0\n");
  std::string saved = std::getenv("PATH");
  setenv("PATH", kubectl.bin_dir().c_str(), 1);  // no helm there
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("render", "render", fleet.input());
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("no `helm` is on PATH"), std::string::npos) << call.error;
}

TEST_F(KubectlRenderTest, NoApplicationImageIsAnError) {
  write_file(fleet.kustomization(), "images:\n  - name: busybox\n    newTag: \"1.36\"\n");
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("render", "render", fleet.input());
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("no images: entry for the application"), std::string::npos)
      << call.error;
}

TEST_F(KubectlRenderTest, VersionThatCannotBeATagIsRefused) {
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("render", "render", fleet.input({}, "4.1.0; rm -rf /"));
  EXPECT_EQ(call.status, MI2_INVALID_INPUT);
  EXPECT_TRUE(kubectl.argvs().empty());
}

// The text editor on its own: list styles the generated files use.
TEST(KubectlKustomizationImages, IndentlessListCrlfAndInsertion) {
  kubectl::Settings settings;
  auto filter = kubectl::application_images(settings);
  std::string text =
      "images:\r\n- name: sourcegraph/frontend # app\r\n  newTag: '4.0.0'\r\n- name: "
      "sourcegraph/worker\r\n"
      "kind: Kustomization\r\n";
  auto result = kubectl::set_image_tags(text, filter, "4.1.0", "k.yaml");
  EXPECT_EQ(result.text,
            "images:\r\n- name: sourcegraph/frontend # app\r\n  newTag: '4.1.0'\r\n- name: "
            "sourcegraph/worker\r\n"
            "  newTag: 4.1.0\r\nkind: Kustomization\r\n");
  EXPECT_EQ(result.edits.size(), 2u);
}

TEST(KubectlKustomizationImages, NumericLookingTagsAreQuoted) {
  kubectl::Settings settings;
  auto result = kubectl::set_image_tags("images:\n  - name: sourcegraph/x\n    newTag: a\n",
                                        kubectl::application_images(settings), "5.10", "k.yaml");
  EXPECT_EQ(result.text, "images:\n  - name: sourcegraph/x\n    newTag: \"5.10\"\n");
}

TEST(KubectlKustomizationImages, FlowStyleIsRefusedWithASentence) {
  kubectl::Settings settings;
  try {
    kubectl::set_image_tags("images: [{name: sourcegraph/x, newTag: a}]\n",
                            kubectl::application_images(settings), "4.1.0", "k.yaml");
    FAIL() << "no error";
  } catch (const sdk::Error& e) {
    EXPECT_NE(std::string(e.what()).find("k.yaml lists images in flow style"), std::string::npos);
  }
}

TEST(KubectlRenderHelm, HelmChartsAddEnableHelmWhenHelmIsOnPath) {
  ScriptedKubectl kubectl;
  kubectl.rule({"kustomize"}, {Json{{"stdout", "apiVersion: v1\nkind: List\nitems: []\n"}}});
  write_file(kubectl.bin_dir() / "helm", "#!/bin/sh\nexit 0\n");
  std::filesystem::permissions(kubectl.bin_dir() / "helm", std::filesystem::perms::owner_all);
  SampleFleet fleet;
  write_file(fleet.kustomization(),
             "helmCharts:\n  - name: sourcegraph\n    repo: https://helm.sourcegraph.com/release\n"
             "images:\n  - name: index.docker.io/sourcegraph/frontend\n    newTag: 4.0.0\n");
  std::string saved = std::getenv("PATH");
  setenv("PATH", (kubectl.bin_dir().string() + ":" + saved).c_str(), 1);
  auto plugin = make_plugin(kubectl, "{}");
  PluginCall call = plugin->invoke("render", "render", fleet.input());
  setenv("PATH", saved.c_str(), 1);
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  std::vector<Argv> expected = {{"kubectl", "kustomize", "--load-restrictor",
                                 "LoadRestrictionsNone", "--enable-helm",
                                 (fleet.instance_dir() / "kubernetes").string()}};
  EXPECT_EQ(kubectl.argvs(), expected);
}

}  // namespace
}  // namespace mi2::test
