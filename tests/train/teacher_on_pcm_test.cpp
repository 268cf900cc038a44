// The RAM teacher with its weights in PCM: ideal devices give the weights back (rounded to
// the slices' levels when decomposed), real ones perturb every inference weight by the device
// model's spread and nothing else (biases and the training-only baseline stay), the same seed
// gives the same devices, and the study's table has a row per point with its devices.
#include "mbi/train/teacher_on_pcm.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include <unistd.h>

#include "mbi/core/error.hpp"
#include "mbi/train/model_file.hpp"
#include "parameter_copy.hpp"
#include "synthetic_ram.hpp"

namespace mbi::train {
namespace {

using test::copy_of;

bool inference_weight(const std::string& name, const torch::Tensor& p) {
  return p.dim() == 2 && name.rfind("baseline_fc.", 0) != 0;
}

TEST(TeacherOnPcm, IdealDevicesGiveTheWeightsBackAndSlicesRoundThem) {
  torch::manual_seed(3);
  RamModel model(test::small_ram_config());
  const auto before = copy_of(model);
  cim::AnalogCells ideal;
  ideal.ideal = true;
  const std::uint64_t devices = program_teacher_into_pcm(model, {}, ideal);
  std::uint64_t weights = 0;
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(torch::allclose(p.value(), before.at(p.key()), 1e-5, 1e-7)) << p.key();
    if (inference_weight(p.key(), p.value())) weights += static_cast<std::uint64_t>(p.value().numel());
  }
  EXPECT_EQ(devices, 2 * weights);  // a pair per weight
  cim::AnalogConfig sliced;
  sliced.slices = 3;  // 7 levels of each output's largest |w|
  RamModel rounded(test::small_ram_config());
  for (auto& p : rounded->named_parameters()) p.value().detach().copy_(before.at(p.key()));
  EXPECT_EQ(program_teacher_into_pcm(rounded, sliced, ideal), 6 * weights);
  for (const auto& p : rounded->named_parameters()) {
    const torch::Tensor w = before.at(p.key());
    if (!inference_weight(p.key(), w)) {
      EXPECT_TRUE(torch::equal(p.value(), w)) << p.key();
      continue;
    }
    const torch::Tensor largest = w.abs().amax(1, true);
    const torch::Tensor expected = torch::round(w.abs() / largest * 7) / 7 * largest * w.sign();
    EXPECT_TRUE(torch::allclose(p.value(), expected, 1e-5, 1e-6)) << p.key();
  }
}

TEST(TeacherOnPcm, DevicesPerturbOnlyTheInferenceWeightsAndTheSeedFixesThem) {
  torch::manual_seed(4);
  RamModel a(test::small_ram_config()), b(test::small_ram_config()), c(test::small_ram_config());
  const auto before = copy_of(a);
  for (RamModel* m : {&b, &c})
    for (auto& p : (*m)->named_parameters()) p.value().detach().copy_(before.at(p.key()));
  const cim::AnalogCells day{.pcm = {}, .seconds = 86400, .seed = 7};
  program_teacher_into_pcm(a, {}, day);
  program_teacher_into_pcm(b, {}, day);
  program_teacher_into_pcm(c, {}, {.pcm = {}, .seconds = 86400, .seed = 8});
  auto params_b = b->named_parameters(), params_c = c->named_parameters();
  for (const auto& p : a->named_parameters()) {
    const torch::Tensor& w = before.at(p.key());
    EXPECT_TRUE(torch::equal(p.value(), params_b[p.key()])) << p.key() << ": same seed, same devices";
    if (!inference_weight(p.key(), w)) {
      EXPECT_TRUE(torch::equal(p.value(), w)) << p.key();
      continue;
    }
    EXPECT_FALSE(torch::equal(p.value(), params_c[p.key()])) << p.key() << ": another seed, other devices";
    // A day on, compensated, a weight reads back within a few tenths of its output's largest
    // |w| (the device spread is 0.06-0.09 of max, pcm_weight_noise_test), not exactly.
    const torch::Tensor largest = w.abs().amax(1, true);
    const torch::Tensor error = ((p.value() - w) / largest).abs();
    EXPECT_GT(error.mean().item<double>(), 1e-3) << p.key();
    EXPECT_LT(error.mean().item<double>(), 0.15) << p.key();
  }
}

TEST(TeacherOnPcm, TheStudyHasARowPerPointAndRefusesAnotherImageSize) {
  torch::manual_seed(5);
  const RamConfig config = test::small_ram_config();
  RamModel model(config);
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("mbi_teacher_pcm_" + std::to_string(::getpid()) + ".pt");
  save_model(file, model);
  const ImageSet images = test::blob_images(config, 40, 9);
  TeacherPcmOptions o;
  o.seeds = 2;
  o.slices = {0, 2};
  o.seconds = {1, 86400};
  o.progress = false;
  const io::ResultFiles r = teacher_pcm_study(file, images, o);
  const CsvTable& t = r.table("teacher_pcm");
  ASSERT_EQ(t.rows().size(), 4U);
  EXPECT_EQ(r.summary["points"].size(), 4U);
  EXPECT_EQ(r.summary["points"][0]["accuracies"].size(), 2U);
  ImageSet other = images;
  other.rows += 1;
  EXPECT_THROW(teacher_pcm_study(file, other, o), Error);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace mbi::train
