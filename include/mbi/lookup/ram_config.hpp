#pragma once
// Every dimension of the recurrent attention model (RAM) that the paper sweeps, plus what
// lookup inference must know to reproduce the teacher's inputs exactly (image size,
// normalisation, quantiser ranges). Defaults are the published ones (reference notes).
#include <cstdint>
#include <string>

namespace mbi {

enum class StartPolicy : std::uint8_t {
  kRandom = 0,  // first location uniform in [-1, 1]^2 (published)
  kFixed = 1,   // first location (start_x, start_y); makes distilled tables consistent
};

struct RamConfig {
  // Input images.
  int image_rows = 28;
  int image_cols = 28;
  int classes = 10;
  float norm_mean = 0.1307F;  // input x/255 is normalised to (x/255 - mean) / std
  float norm_std = 0.3081F;

  // Glimpse sensor: `patches` square patches of side patch*scale^k (k = 0..patches-1)
  // centred on the location, each average-pooled down to patch x patch.
  int glimpses = 5;
  int patch = 4;
  int patches = 3;
  int scale = 4;

  // Network widths.
  int glimpse_hidden = 128;  // phi -> fc -> relu
  int loc_hidden = 128;      // l -> fc -> relu
  int glimpse_out = 256;     // both -> fc, summed, relu
  int core_width = 256;      // i2h / h2h width when added_core_layers > 0
  int added_core_layers = 1; // extra layers between the recurrence and the hidden state
  int hidden = 64;           // hidden-state width (the table's hidden component)
  int loc_net_hidden = 32;   // h -> fc -> relu -> fc 2 -> tanh

  // Quantisation: 0 bits = float.
  int glimpse_bits = 2;
  int hidden_bits = 1;
  float phi_lo = 0.0F;  // glimpse quantiser range: global min/max of normalised images
  float phi_hi = 1.0F;

  // Location policy.
  float policy_std = 0.05F;
  StartPolicy start = StartPolicy::kFixed;
  float start_x = 0.0F;
  float start_y = 0.0F;

  int phi_size() const { return patches * patch * patch; }
  // Locations are snapped to pixel coordinates 0..cols (x) and 0..rows (y).
  int loc_levels_x() const { return image_cols + 1; }
  int loc_levels_y() const { return image_rows + 1; }
  int phi_levels() const { return glimpse_bits == 0 ? 0 : 1 << glimpse_bits; }
  int hidden_levels() const { return hidden_bits == 0 ? 0 : 1 << hidden_bits; }
};

}  // namespace mbi
