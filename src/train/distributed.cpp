#include "mbi/train/distributed.hpp"

// LibTorch's Gloo process group is compiled into libtorch_cpu, but its header hides behind
// the build flag LibTorch itself was configured with.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "mbi/core/error.hpp"

namespace mbi::train {
namespace {

// A setting and where it came from, so that an error names what the user actually wrote.
struct Setting {
  long long value = 0;
  std::string source;  // "--rank 3" or "RANK=3"
  bool set = false;
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// What a failed LibTorch call says, without its C++ backtrace.
std::string reason(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return first_line(c10->what_without_backtrace());
  return first_line(e.what());
}

Setting whole_setting(long long flag_value, bool flag_set, const std::string& flag, const char* env) {
  Setting s;
  if (flag_set) {
    s = {flag_value, flag + " " + std::to_string(flag_value), true};
    return s;
  }
  const char* text = std::getenv(env);
  if (text == nullptr || *text == '\0') return s;
  const std::string value(text);
  std::size_t used = 0;
  long long parsed = 0;
  try {
    parsed = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size())
    throw Error(std::string(env) + "=" + value + ": expected a whole number (or set " + flag + ")");
  return {parsed, std::string(env) + "=" + value, true};
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

// The network device Gloo sends through. GLOO_SOCKET_IFNAME names an interface, as in
// PyTorch; a master on the loopback address means every rank is on this machine; otherwise
// the address this machine's hostname resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  try {
    if (interface != nullptr && *interface != '\0')
      return ::c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    if (is_loopback(master_addr)) return ::c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return ::c10d::ProcessGroupGloo::createDefaultDevice();
  } catch (const std::exception& e) {
    if (interface != nullptr && *interface != '\0')
      throw Error(std::string("GLOO_SOCKET_IFNAME=") + interface + ": cannot open a Gloo device on it (" + reason(e) + ")");
    throw Error("cannot open a Gloo device on this machine's address (" + reason(e) +
                "); name the network interface in GLOO_SOCKET_IFNAME");
  }
}

}  // namespace

struct Distributed::Group {
  c10::intrusive_ptr<::c10d::Store> store;
  c10::intrusive_ptr<::c10d::ProcessGroupGloo> gloo;

  // Runs one collective to completion; a rank that stopped or a timeout fails it here.
  void wait(const c10::intrusive_ptr<::c10d::Work>& work, const char* what, int rank, int world) const {
    try {
      work->wait();
    } catch (const std::exception& e) {
      throw Error("distributed training: " + std::string(what) + " failed on rank " + std::to_string(rank) + " of " +
                  std::to_string(world) + " (another rank stopped, or --dist-timeout passed): " + reason(e));
    }
  }
};

Distributed::Distributed() = default;
Distributed::~Distributed() = default;

Distributed::Distributed(const DistributedOptions& options) : timeout_seconds_(options.timeout_seconds) {
  const Setting world =
      whole_setting(options.world_size, options.world_size > 0, "--world-size", "WORLD_SIZE");
  const Setting rank = whole_setting(options.rank, options.rank >= 0, "--rank", "RANK");
  if (world.set && (world.value < 1 || world.value > 65536))
    throw Error(world.source + ": the world size must be 1 to 65536 processes");
  world_size_ = world.set ? static_cast<int>(world.value) : 1;
  const std::string world_source = world.set ? world.source : "world size 1 (--world-size/WORLD_SIZE unset)";
  if (rank.set && (rank.value < 0 || rank.value >= world_size_))
    throw Error(rank.source + ": the rank must be 0 to " + std::to_string(world_size_ - 1) + " under " + world_source);
  rank_ = rank.set ? static_cast<int>(rank.value) : 0;
  if (world_size_ == 1) return;  // nothing to meet: no store, no process group

  if (!rank.set) throw Error(world.source + ": each process needs its --rank (or RANK) too");
  std::string addr = options.master_addr;
  std::string addr_source = "--master-addr " + addr;
  if (addr.empty()) {
    const char* env = std::getenv("MASTER_ADDR");
    if (env == nullptr || *env == '\0')
      throw Error("--master-addr (or MASTER_ADDR): required with " + world.source + ": the address of rank 0");
    addr = env;
    addr_source = "MASTER_ADDR=" + addr;
  }
  const Setting port = whole_setting(options.master_port, options.master_port > 0, "--master-port", "MASTER_PORT");
  if (port.set && (port.value < 1 || port.value > 65535)) throw Error(port.source + ": a TCP port is 1 to 65535");
  const auto port_number =
      static_cast<std::uint16_t>(port.set ? port.value : ::c10d::TCPStoreOptions::kDefaultPort);
  if (timeout_seconds_ < 1) throw Error("--dist-timeout: must be at least 1 second");
  const std::chrono::milliseconds timeout(static_cast<long long>(timeout_seconds_) * 1000);

  group_ = std::make_unique<Group>();
  // Rank 0 serves the store every rank meets at; the others connect to it, retrying until
  // the timeout, so the processes may start in any order.
  ::c10d::TCPStoreOptions store_options;
  store_options.port = port_number;
  store_options.isServer = rank_ == 0;
  store_options.numWorkers = static_cast<std::size_t>(world_size_);
  store_options.waitWorkers = true;
  store_options.timeout = timeout;
  const std::string master = addr + ":" + std::to_string(port_number);
  try {
    group_->store = c10::make_intrusive<::c10d::TCPStore>(addr, store_options);
  } catch (const std::exception& e) {
    const std::string port_source = port.set ? port.source : "--master-port/MASTER_PORT (default 29500)";
    if (rank_ == 0)
      throw Error(addr_source + ", " + port_source + ": rank 0 could not serve the rendezvous at " + master +
                  " or not every rank joined within " + std::to_string(timeout_seconds_) + " s (" + reason(e) + ")");
    throw Error(addr_source + ", " + port_source + ": cannot reach the master at " + master + " within " +
                std::to_string(timeout_seconds_) + " s (" + reason(e) + ")");
  }
  auto gloo_options = ::c10d::ProcessGroupGloo::Options::create(timeout);
  gloo_options->devices.push_back(gloo_device(addr));
  gloo_options->threads = 1;  // collectives run one at a time here
  try {
    group_->gloo = c10::make_intrusive<::c10d::ProcessGroupGloo>(group_->store, rank_, world_size_, gloo_options);
  } catch (const std::exception& e) {
    throw Error("distributed training: rank " + std::to_string(rank_) + " could not connect to the other ranks via " +
                master + " (" + reason(e) + "); check the firewall, or GLOO_SOCKET_IFNAME");
  }
}

RowRange shard_rows(std::size_t begin, std::size_t end, int rank, int world) {
  const std::size_t rows = end - begin;
  const auto r = static_cast<std::size_t>(rank);
  const auto w = static_cast<std::size_t>(world);
  return {begin + rows * r / w, begin + rows * (r + 1) / w};
}

void Distributed::sum_gradients(torch::nn::Module& module, std::vector<double>& sums) const {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  // One flat message per step: a collective per parameter would pay its latency many times.
  std::vector<torch::Tensor> pieces;
  const auto parameters = module.parameters();
  for (const auto& p : parameters)
    pieces.push_back(p.grad().defined() ? p.grad().detach().reshape(-1).to(torch::kCPU, torch::kFloat32)
                                        : torch::zeros({p.numel()}, torch::kFloat32));
  pieces.push_back(torch::tensor(sums, torch::kFloat64).to(torch::kFloat32));
  std::vector<torch::Tensor> flat{torch::cat(pieces)};
  group_->wait(group_->gloo->allreduce(flat), "the gradient all-reduce", rank_, world_size_);
  std::int64_t at = 0;
  for (const auto& p : parameters) {
    auto summed = flat[0].narrow(0, at, p.numel()).view(p.sizes()).to(p.device(), p.scalar_type());
    if (p.grad().defined())
      p.mutable_grad().copy_(summed);
    else
      p.mutable_grad() = summed.clone();
    at += p.numel();
  }
  const auto totals = flat[0].narrow(0, at, static_cast<std::int64_t>(sums.size())).to(torch::kFloat64).contiguous();
  for (std::size_t i = 0; i < sums.size(); ++i) sums[i] = totals.data_ptr<double>()[i];
}

std::vector<double> Distributed::sum(std::vector<double> values) const {
  if (!active() || values.empty()) return values;
  std::vector<torch::Tensor> flat{torch::tensor(values, torch::kFloat64)};
  group_->wait(group_->gloo->allreduce(flat), "an all-reduce of metrics", rank_, world_size_);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = flat[0].data_ptr<double>()[i];
  return values;
}

void Distributed::broadcast_parameters(torch::nn::Module& module) const {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors = module.parameters();
  for (const auto& b : module.buffers()) tensors.push_back(b);
  if (tensors.empty()) return;
  std::vector<torch::Tensor> pieces;
  for (const auto& t : tensors) pieces.push_back(t.detach().reshape(-1).to(torch::kCPU, torch::kFloat64));
  std::vector<torch::Tensor> flat{torch::cat(pieces)};
  group_->wait(group_->gloo->broadcast(flat), "the parameter broadcast", rank_, world_size_);
  std::int64_t at = 0;
  for (auto& t : tensors) {
    t.copy_(flat[0].narrow(0, at, t.numel()).view(t.sizes()));
    at += t.numel();
  }
}

void Distributed::broadcast_bytes(std::string& bytes) const {
  if (!active()) return;
  std::vector<torch::Tensor> size{torch::tensor({static_cast<std::int64_t>(bytes.size())}, torch::kInt64)};
  group_->wait(group_->gloo->broadcast(size), "a broadcast from rank 0", rank_, world_size_);
  const std::int64_t n = size[0].item<std::int64_t>();
  if (n == 0) {
    bytes.clear();
    return;
  }
  std::vector<torch::Tensor> data{torch::empty({n}, torch::kUInt8)};
  if (is_main()) std::memcpy(data[0].data_ptr<std::uint8_t>(), bytes.data(), static_cast<std::size_t>(n));
  group_->wait(group_->gloo->broadcast(data), "a broadcast from rank 0", rank_, world_size_);
  bytes.assign(reinterpret_cast<const char*>(data[0].data_ptr<std::uint8_t>()), static_cast<std::size_t>(n));
}

}  // namespace mbi::train
