#pragma once
// The RAM teacher with its weights in PCM (issue 17): every weight its inference reads (glimpse,
// core, location and classifier layers; not the baseline, which only training reads) stored in
// differential pairs of PCM devices exactly as the analog crossbar stores a layer
// (cim/pcm_matrix.hpp: column-wise scaling, plain pairs, k devices or binary slices, each device
// programmed, drifted and read once, global drift compensation per layer), then the teacher is
// evaluated with the weights its devices read back. Biases stay digital. What this does not
// model: the converters (the teacher's activations stay float, no DAC or ADC rounding) and the
// energy; the float CNNs on the analog crossbar (experiment/analog_noise.hpp) have both.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "mbi/cim/pcm_matrix.hpp"
#include "mbi/core/image_set.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/train/ram_model.hpp"

namespace mbi::train {

// Replaces `model`'s inference weights by what their PCM devices read back; the matrix of the
// k-th inference weight draws from stream k (cim::program_pcm_matrix). Returns the devices.
std::uint64_t program_teacher_into_pcm(RamModel& model, const cim::AnalogConfig& config, const cim::AnalogCells& cells);

struct TeacherPcmOptions {
  device::PcmParameters pcm;
  std::vector<int> devices{1};         // weight scaling: devices per polarity
  std::vector<int> slices{0};          // low-fluctuation decomposition (0 = one analog pair)
  std::vector<double> seconds{86400};  // since programming
  bool uncompensated = false;          // also without global drift compensation
  int seeds = 10;                      // devices (programming seeds) per point
  std::uint64_t seed = 1;              // of the first device
  int batch = 256;
  bool progress = true;
};

// The teacher in `model_file` on PCM at every combination of the options, `seeds` devices a
// point: teacher_pcm.csv (mean, spread, min and max accuracy beside the clean teacher and the
// ideal devices, which keep only the slices' rounding), a plot against time when several times
// are asked, and the summary. Throws mbi::Error for empty lists or a model that cannot be read.
io::ResultFiles teacher_pcm_study(const std::filesystem::path& model_file, const ImageSet& images,
                                  const TeacherPcmOptions& options);

}  // namespace mbi::train
