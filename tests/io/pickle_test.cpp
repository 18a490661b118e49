#include "io/pickle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lucid/error.h"

namespace lucid::io {
namespace {

using ::testing::HasSubstr;
using Kind = PickleValue::Kind;

// Pickles are spelled with these, not string literals, whose \x escapes swallow any hex digit after them.
std::string b(std::initializer_list<int> codes) {
  std::string out;
  for (int c : codes) out.push_back(static_cast<char>(c));
  return out;
}
std::string u(std::string_view text) {  // BINUNICODE
  uint32_t n = static_cast<uint32_t>(text.size());
  std::string out = "X";
  out.append(reinterpret_cast<const char*>(&n), 4).append(text);
  return out;
}
std::string k(int value) { return b({'K', value}); }  // BININT1
const std::string p2 = b({0x80, 2});
const std::string ordered_dict = "ccollections\nOrderedDict\n)R";
const std::string rebuild = "ctorch._utils\n_rebuild_tensor_v2\n";

void expect_refused(const std::string& pickle, std::initializer_list<std::string> parts) {
  try {
    Pickle parsed(pickle, "test.pkl");
    ADD_FAILURE() << "parsed; expected an error mentioning " << *parts.begin();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("[pickle] test.pkl at byte "));
    for (const auto& part : parts) EXPECT_THAT(e.what(), HasSubstr(part));
  }
}

TEST(Pickle, ReadsContainersNumbersAndMemoReferences) {
  // {'a': 1, 'b': [-2, 3.5, None, True], 'c': <the same list>, 'd': 2**40}
  std::string p = p2 + "}(" + u("a") + k(1) + u("b") + "]" + b({'q', 0}) + "(" + b({'J', 0xfe, 0xff, 0xff, 0xff}) +
                  b({'G', 0x40, 0x0c, 0, 0, 0, 0, 0, 0}) + "N" + b({0x88}) + "e" + u("c") + b({'h', 0}) + b({0x8c, 1}) +
                  "d" + b({0x8a, 6, 0, 0, 0, 0, 0, 1}) + "u.";
  Pickle pickle(p, "test.pkl");
  const PickleValue& root = pickle.root();
  ASSERT_EQ(root.kind, Kind::Dict);
  ASSERT_EQ(root.items.size(), 8u);
  EXPECT_EQ(root.items[0]->text, "a");
  EXPECT_EQ(root.items[1]->integer, 1);
  const PickleValue& list = *root.items[3];
  ASSERT_EQ(list.kind, Kind::List);
  ASSERT_EQ(list.items.size(), 4u);
  EXPECT_EQ(list.items[0]->integer, -2);
  EXPECT_EQ(list.items[1]->real, 3.5);
  EXPECT_EQ(list.items[2]->kind, Kind::None);
  EXPECT_EQ(list.items[3]->kind, Kind::Bool);
  EXPECT_EQ(root.items[5], &list);  // BINGET shares, as in Python
  EXPECT_EQ(root.items[7]->integer, int64_t{1} << 40);
}

TEST(Pickle, Protocol4OpcodesAndNegativeLong) {
  // PROTO 4, FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, EMPTY_TUPLE, REDUCE: {'k': -256}
  std::string p = b({0x80, 4, 0x95, 0x20, 0, 0, 0, 0, 0, 0, 0, 0x8c, 11}) + "collections" + b({0x94, 0x8c, 11}) +
                  "OrderedDict" + b({0x94, 0x93, 0x94}) + ")R" + b({0x94, 0x8c, 1}) + "k" + b({0x8a, 2, 0, 0xff}) +
                  "s.";
  Pickle pickle(p, "test.pkl");
  ASSERT_EQ(pickle.root().kind, Kind::Dict);
  ASSERT_EQ(pickle.root().items.size(), 2u);
  EXPECT_EQ(pickle.root().items[1]->integer, -256);
}

TEST(Pickle, RebuildsTensorReferences) {
  // _rebuild_parameter(_rebuild_tensor_v2(storage, 2, (2, 3), (3, 1), False, OrderedDict()), True, OrderedDict())
  std::string p = p2 + "ctorch._utils\n_rebuild_parameter\n" + rebuild + "((" + u("storage") + "ctorch\nHalfStorage\n" +
                  u("7") + u("cpu") + k(8) + "tQ" + k(2) + k(2) + k(3) + b({0x86}) + k(3) + k(1) + b({0x86, 0x89}) +
                  ordered_dict + "tR" + b({0x88}) + ordered_dict + b({0x87}) + "R.";
  Pickle pickle(p, "test.pkl");
  const PickleValue& root = pickle.root();
  ASSERT_EQ(root.kind, Kind::Tensor);
  EXPECT_EQ(root.tensor->storage->type, "torch.HalfStorage");
  EXPECT_EQ(root.tensor->storage->element_size, 2u);
  EXPECT_EQ(root.tensor->storage->key, "7");
  EXPECT_EQ(root.tensor->offset, 2);
  EXPECT_EQ(root.tensor->size, (Shape{2, 3}));
  EXPECT_EQ(root.tensor->stride, (Shape{3, 1}));
}

TEST(Pickle, RefusesGlobalsWhenReadingThem) {
  // The refusal comes at the GLOBAL itself: what follows (garbage here) is never reached.
  expect_refused(p2 + "cos\nsystem\n" + b({0xff, 0xff}), {"byte 2", "refuses global 'os.system'"});
  expect_refused(b({0x80, 4, 0x8c, 8}) + "builtins" + b({0x8c, 4}) + "eval" + b({0x93}),
                 {"refuses global 'builtins.eval'"});
  expect_refused(p2 + "ctorch\nSize\n", {"refuses global 'torch.Size'"});
  // Allowed names only do what they are for: a storage class is not callable.
  expect_refused(p2 + "ctorch\nFloatStorage\n)R.", {"REDUCE on torch.FloatStorage"});
  expect_refused(p2 + "ccollections\nOrderedDict\n" + k(1) + b({0x85}) + "R.",
                 {"collections.OrderedDict called with unexpected"});
}

TEST(Pickle, StackUnderflow) {
  expect_refused(p2 + "s.", {"byte 2", "stack underflow"});
  expect_refused(p2 + "}(" + k(1) + k(2) + "s.", {"stack underflow"});  // SETITEM's dict is behind a MARK
  expect_refused(p2 + ".", {"stack underflow"});
  expect_refused(p2 + k(1) + "t.", {"no MARK"});
}

TEST(Pickle, MemoIndexOutOfRange) {
  expect_refused(p2 + b({'h', 5}) + ".", {"memo index 5 out of range (0 stored)"});
  expect_refused(p2 + "N" + b({'r', 0xff, 0xff, 0xff, 0xff}) + ".", {"memo index 4294967295 skips ahead"});
  expect_refused(p2 + "N" + b({'q', 0, 'j', 1, 0, 0, 0}) + ".", {"memo index 1 out of range (1 stored)"});
}

TEST(Pickle, HugeLengthsAreBoundedByTheBytesLeft) {
  expect_refused(p2 + b({'X', 0xff, 0xff, 0xff, 0xff}) + "abc",
                 {"byte 2", "length of 4294967295 bytes runs past the end (3 left)"});
  expect_refused(b({0x80, 4, 0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}), {"runs past the end"});
  expect_refused(b({0x80, 4, 0x95, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}) + "N.", {"frame of 4294967295 bytes"});
  expect_refused(p2 + b({0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}) + ".", {"integer of 9 bytes"});
  expect_refused(p2 + "cos", {"GLOBAL name runs past the end"});
}

TEST(Pickle, UnknownOpcodesAreNamedWithTheirOffset) {
  expect_refused(p2 + "I1\n.", {"byte 2", "unsupported opcode 0x49 ('I')"});
  expect_refused(p2 + "N" + b({0xfe}) + ".", {"byte 3", "unsupported opcode 0xfe"});
  expect_refused(b({0x80, 6}) + "N.", {"pickle protocol 6"});
  expect_refused(p2 + "N", {"ends without STOP"});
  expect_refused("", {"byte 0", "ends without STOP"});
}

TEST(Pickle, WrongTypesAreRefused) {
  expect_refused(p2 + "]" + k(1) + k(2) + "s.", {"SETITEM on a list, not a dict"});
  expect_refused(p2 + "}" + k(1) + "a.", {"APPEND on a dict, not a list"});
  expect_refused(p2 + "}(" + k(1) + "u.", {"SETITEMS with 1 values"});
  expect_refused(p2 + k(1) + ")R.", {"REDUCE applies a int to a tuple"});
  expect_refused(p2 + "]Nb.", {"BUILD on a list"});
  expect_refused(p2 + k(1) + k(2) + b({0x93}) + ".", {"STACK_GLOBAL on a int and a int"});
  expect_refused(p2 + "(" + u("storage") + k(1) + k(2) + k(3) + k(4) + "tQ.", {"persistent id is not"});
  expect_refused(p2 + "(" + u("storage") + "ctorch\nFloatStorage\n" + u(std::string(65, '7')) + u("cpu") + k(1) + "tQ.",
                 {"a storage key of 65 bytes"});
  std::string storage = b({'('}) + u("storage") + "ctorch\nFloatStorage\n" + u("0") + u("cpu") + k(1) + "tQ";
  expect_refused(
      p2 + rebuild + "(" + storage + k(0) + b({'J', 0xff, 0xff, 0xff, 0xff, 0x85}) + k(1) + b({0x85, 0x89}) + "}tR.",
      {"tensor size holds a negative value"});
  expect_refused(p2 + rebuild + "(" + storage + k(0) + "))" + b({0x89}) + "]tR.",
                 {"_rebuild_tensor_v2 called with unexpected"});
}

TEST(Pickle, DeepNestingNeitherRecursesNorCrashes) {
  // A million nested tuples (one byte each) would overflow a recursive destructor.
  std::string p = p2 + ")" + std::string(1'000'000, '\x85') + ".";
  Pickle pickle(p, "test.pkl");
  const PickleValue* v = &pickle.root();
  int depth = 0;
  while (v->kind == Kind::Tuple && !v->items.empty()) v = v->items[0], ++depth;
  EXPECT_EQ(depth, 1'000'000);
}

TEST(Pickle, ObjectCountIsBounded) {
  // BINGET pushes a reference for two bytes: without a bound, a file could ask for any memory.
  std::string p = p2 + "]" + b({'q', 0}) + "(";
  for (int i = 0; i < (1 << 22); ++i) p += b({'h', 0});
  expect_refused(p + "e.", {"more than 4194304 objects"});
}

}  // namespace
}  // namespace lucid::io
