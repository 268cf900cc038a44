# The allowed dependencies of every mbi library, and the check that refuses a header or source
# file including anything else. docs/architecture.md draws the same graph.
#
#   include(cmake/library_dependencies.cmake)
#   mbi_check_library_dependencies(<root>)      # fails the configure step on a violation
#   cmake -DMBI_ROOT=<root> -P cmake/library_dependencies.cmake   # the same check as a script
#
# Rules, per file of include/mbi/<lib>/ and src/<lib>/:
#   "mbi/<other>/..."  <other> must be <lib> or one of the libraries <lib> may use (closure);
#   <header>           a C++ standard header, or one of the third-party or system headers
#                      <lib> may include (a header of a standard-library-only library may
#                      include standard headers only).

cmake_policy(SET CMP0057 NEW)  # if(... IN_LIST ...), also in script mode

# Libraries each library may include headers of (itself included), transitively closed.
set(MBI_DEPS_core core)
set(MBI_DEPS_search core search)
set(MBI_DEPS_eval core eval)
set(MBI_DEPS_device core device)
set(MBI_DEPS_ap core eval ternary ap)
set(MBI_DEPS_cim core eval ternary device mlg cim)
set(MBI_DEPS_ternary core eval ternary)
set(MBI_DEPS_mlg core eval mlg)
set(MBI_DEPS_lookup core search eval lookup)
set(MBI_DEPS_graph core search eval lookup graph)
set(MBI_DEPS_sweep core sweep)
set(MBI_DEPS_data core data)
set(MBI_DEPS_io core search eval lookup device io)
set(MBI_DEPS_bo core bo)
set(MBI_DEPS_hw core search eval lookup device io hw)
set(MBI_DEPS_tune core search eval lookup device io bo tune)
set(MBI_DEPS_experiment core search eval ap cim ternary mlg lookup device io bo hw tune sweep experiment)
set(MBI_DEPS_train core search eval ternary cim mlg lookup device io data train)
set(MBI_DEPS_cli core search eval ap cim ternary mlg lookup graph sweep data device io bo hw tune experiment train cli)
# The Python package's native module: a front end like the command line, without LibTorch.
set(MBI_DEPS_python core search eval ap cim ternary mlg lookup sweep data device io bo hw tune experiment python)

# Third-party header prefixes each library may include (its sources and headers alike).
# Libraries not named here (core, search, eval, device, ap, cim, ternary, mlg, lookup) use the standard library only;
# sweep adds MPI inside one source.
set(MBI_THIRD_PARTY_data "zlib.h")
set(MBI_THIRD_PARTY_graph "hnswlib/")
set(MBI_THIRD_PARTY_sweep "mpi.h")
set(MBI_THIRD_PARTY_io "nlohmann/;spdlog/;fmt/")
set(MBI_THIRD_PARTY_bo "Eigen/")
set(MBI_THIRD_PARTY_hw "nlohmann/")
set(MBI_THIRD_PARTY_tune "nlohmann/;spdlog/;fmt/;CLI/")
set(MBI_THIRD_PARTY_experiment "nlohmann/;spdlog/;fmt/")
set(MBI_THIRD_PARTY_train "torch/;nlohmann/;spdlog/;fmt/")
set(MBI_THIRD_PARTY_cli "CLI/;nlohmann/;spdlog/;fmt/")
set(MBI_THIRD_PARTY_python "pybind11/;nlohmann/")

# Operating-system and compiler headers a source file (not a public header) may include: the
# memory map of table files, atomic renames, the x86 intrinsics of the kernels.
set(MBI_SYSTEM_SOURCE_HEADERS fcntl.h signal.h unistd.h sys/mman.h sys/stat.h sys/types.h sys/wait.h immintrin.h x86intrin.h)

set(MBI_STANDARD_HEADERS
  algorithm any array atomic barrier bit bitset cassert cctype cerrno cfenv cfloat charconv chrono cinttypes
  climits clocale cmath codecvt compare complex concepts condition_variable coroutine csetjmp csignal cstdarg
  cstddef cstdint cstdio cstdlib cstring ctime cuchar cwchar cwctype deque exception execution expected
  filesystem format forward_list fstream functional future initializer_list iomanip ios iosfwd iostream
  istream iterator latch limits list locale map memory memory_resource mutex new numbers numeric optional
  ostream queue random ranges ratio regex scoped_allocator semaphore set shared_mutex source_location span
  sstream stack stdexcept stop_token streambuf string string_view syncstream system_error thread tuple
  type_traits typeindex typeinfo unordered_map unordered_set utility valarray variant vector version)

function(mbi_check_file file lib is_header out_var)
  set(problems "")
  set(allowed_libs ${MBI_DEPS_${lib}})
  set(third_party ${MBI_THIRD_PARTY_${lib}})
  file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include")
  foreach(line IN LISTS lines)
    if(line MATCHES "#[ \t]*include[ \t]*\"mbi/([a-z_]+)/")
      set(other ${CMAKE_MATCH_1})
      if(NOT other IN_LIST allowed_libs)
        list(APPEND problems "${file}: includes mbi/${other}/, which library ${lib} may not use")
      endif()
    elseif(line MATCHES "#[ \t]*include[ \t]*<([^>]+)>")
      set(header ${CMAKE_MATCH_1})
      set(ok FALSE)
      if(header IN_LIST MBI_STANDARD_HEADERS)
        set(ok TRUE)
      elseif(NOT is_header AND header IN_LIST MBI_SYSTEM_SOURCE_HEADERS)
        set(ok TRUE)
      else()
        foreach(prefix IN LISTS third_party)
          string(FIND "${header}" "${prefix}" at)
          if(at EQUAL 0)
            set(ok TRUE)
          endif()
        endforeach()
      endif()
      if(NOT ok)
        list(APPEND problems "${file}: includes <${header}>, which library ${lib} may not use")
      endif()
    endif()
  endforeach()
  set(${out_var} "${problems}" PARENT_SCOPE)
endfunction()

# Checks every library's headers and sources under `root`; FATAL_ERROR listing the violations.
function(mbi_check_library_dependencies root)
  set(all_problems "")
  foreach(lib core search eval device ap cim ternary mlg lookup graph sweep data io bo hw tune experiment train cli python)
    file(GLOB headers ${root}/include/mbi/${lib}/*.hpp)
    file(GLOB sources ${root}/src/${lib}/*.cpp ${root}/src/${lib}/*.hpp ${root}/src/${lib}/*.inl)
    foreach(file IN LISTS headers)
      mbi_check_file(${file} ${lib} TRUE problems)
      list(APPEND all_problems ${problems})
    endforeach()
    foreach(file IN LISTS sources)
      mbi_check_file(${file} ${lib} FALSE problems)
      list(APPEND all_problems ${problems})
    endforeach()
  endforeach()
  file(GLOB stray ${root}/include/mbi/*.hpp)
  foreach(file IN LISTS stray)
    list(APPEND all_problems "${file}: a header outside every library folder (include/mbi/<lib>/)")
  endforeach()
  if(all_problems)
    list(JOIN all_problems "\n  " text)
    message(FATAL_ERROR "library dependency check failed (cmake/library_dependencies.cmake):\n  ${text}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT MBI_ROOT)
    message(FATAL_ERROR "usage: cmake -DMBI_ROOT=<source tree> -P cmake/library_dependencies.cmake")
  endif()
  mbi_check_library_dependencies(${MBI_ROOT})
  message(STATUS "library dependency check passed for ${MBI_ROOT}")
endif()
