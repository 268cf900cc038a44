#pragma once
// The compiler from a ternary network (mbi/ternary) to associative-processor programs
// (program.hpp), one per convolution or dense layer. Its passes, each optional so its effect
// can be measured alone:
//   constant folding  the weights become the program: +1 adds an input, -1 subtracts it, 0
//                     does nothing (off: the weights are written into the array and every
//                     input is added and subtracted under their condition);
//   CSE               a sum or difference of two inputs that several output channels need is
//                     computed once into a temporary field (greedy, most shared pair first);
//   RTM layout        fields of a kind are bit-sliced across racetrack tracks (bit i of every
//                     field on track i, fields along the domains) and scratch columns get a
//                     track each, so the bit-serial steps rarely shift (off: every field's bits
//                     lie next to each other on one track).
// Rows are always (image, output position): the word-parallel layout.
#include "mbi/ap/program.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::ap {

// Throws mbi::Error when the network cannot be compiled (it must validate, and a pixel of 0
// must be level 0 so that zero padding reads as level 0).
CompiledNetwork compile(const ternary::Network& network, const CompileOptions& options = {});

}  // namespace mbi::ap
