// UPN and ULN checks (reference section 3): the examples, every kind of malformed value, and the
// census error numbers in the messages.
#include <gtest/gtest.h>

#include "tests/domain/fixtures.h"

using namespace sendsync::domain;
using namespace sendsync::domain::testing;

TEST(Upn, ReferenceExamplesAreValid) {
  EXPECT_FALSE(CheckUpn("B801200005001"));
  EXPECT_EQ(UpnKindOf("B801200005001"), UpnKind::kPermanent);
  EXPECT_FALSE(CheckUpn("X00180001701A"));
  EXPECT_EQ(UpnKindOf("X00180001701A"), UpnKind::kTemporary);
}

// Worked by hand: sum of character × position over positions 2–13, mod 23, through the table.
TEST(Upn, CheckLetterIsComputedFromCharacters2To13) {
  struct Case {
    const char* upn;
    char letter;
  };
  for (const Case& c : {
           Case{"?801200005001", 'B'},  // 16+4+10+50+13 = 93; 93 mod 23 = 1 → B
           Case{"?00180001701A", 'X'},  // 4+40+9+70+12+0 = 135; 135 mod 23 = 20 → X
           Case{"?820123423001", 'R'},  // 153 mod 23 = 15 → R
           Case{"?935456712345", 'C'},  // 370 mod 23 = 2 → C
           Case{"?20412341500Z", 'Y'},  // Z is 22 at position 13: 435 mod 23 = 21 → Y
       }) {
    EXPECT_EQ(UpnCheckLetter(c.upn), std::optional<char>(c.letter)) << c.upn;
    std::string valid = c.upn;
    valid[0] = c.letter;
    EXPECT_FALSE(CheckUpn(valid)) << valid;
  }
}

// A help page that is widely copied gets its own sum wrong; a checker that trusted a worked
// example would accept the letter the mis-added sum gives. Ours computes: one more in the sum
// (94 instead of 93) would call for C, and C is refused.
TEST(Upn, LetterFromAMisAddedSumIsRefused) {
  auto issue = CheckUpn("C801200005001");
  ASSERT_TRUE(issue);
  EXPECT_EQ(issue->code, "UPN_CHECK_LETTER");
  EXPECT_NE(issue->message.find("call for B"), std::string::npos) << issue->message;
  EXPECT_NE(issue->message.find("census error 1510"), std::string::npos) << issue->message;
  EXPECT_TRUE(ValidUpnFormat("C801200005001"));  // shape alone is fine
}

TEST(Upn, MalformedValuesGetSpecificCodesAndCensusNumbers) {
  struct Case {
    const char* upn;
    const char* code;
    const char* census;
  };
  for (const Case& c : {
           Case{"", "UPN_MISSING", "1500"},
           Case{"B80120000500", "UPN_LENGTH", nullptr},
           Case{"B8012000050011", "UPN_LENGTH", nullptr},
           Case{"I801200005001", "UPN_FORMAT", nullptr},  // I is never a check letter
           Case{"O801200005001", "UPN_FORMAT", nullptr},
           Case{"S801200005001", "UPN_FORMAT", nullptr},
           Case{"b801200005001", "UPN_FORMAT", nullptr},  // lower case
           Case{"18012000050011", "UPN_LENGTH", nullptr},
           Case{"B8A1200005001", "UPN_LA_CODE", "1530"},
           Case{"B 01200005001", "UPN_LA_CODE", "1530"},
           Case{"B80120000X001", "UPN_NOT_NUMERIC", "1540"},
           Case{"B8012000050-1", "UPN_NOT_NUMERIC", "1540"},
           Case{"B80120000500I", "UPN_FORMAT", nullptr},  // temporary letter from outside the table
           Case{"B80120000500a", "UPN_FORMAT", nullptr},
           Case{"B801200005002", "UPN_CHECK_LETTER", "1510"},
       }) {
    auto issue = CheckUpn(c.upn);
    ASSERT_TRUE(issue) << c.upn;
    EXPECT_EQ(issue->code, c.code) << c.upn;
    EXPECT_EQ(issue->severity, Severity::kError);
    EXPECT_EQ(issue->path, "upn");
    if (c.census) {
      EXPECT_NE(issue->message.find(std::string("census error ") + c.census), std::string::npos)
          << issue->message;
    }
    EXPECT_FALSE(UpnKindOf(c.upn)) << c.upn;
  }
}

TEST(Upn, MessagesNeverRepeatTheIdentifier) {
  auto issue = CheckUpn("B801200005002", "former_upn");
  ASSERT_TRUE(issue);
  EXPECT_EQ(issue->path, "former_upn");
  EXPECT_EQ(issue->message.find("801200005002"), std::string::npos) << issue->message;
}

TEST(Upn, CheckLetterNotComputableForBadTail) {
  EXPECT_FALSE(UpnCheckLetter("B80120000X001"));
  EXPECT_FALSE(UpnCheckLetter("B8012"));
  EXPECT_FALSE(ValidUpnFormat("B80120000X001"));
}

TEST(Uln, ReferenceExampleIsValid) {
  EXPECT_FALSE(CheckUln("9276308686"));
  EXPECT_FALSE(CheckUln("1000000000"));  // 1 × 10 = 10, mod 11 = 10
}

TEST(Uln, InvalidValuesCarryCensusError1575) {
  struct Case {
    const char* uln;
    const char* code;
  };
  for (const Case& c : {Case{"9276308687", "ULN_CHECK_DIGIT"},
                        Case{"9276308685", "ULN_CHECK_DIGIT"}, Case{"0276308686", "ULN_FORMAT"},
                        Case{"927630868", "ULN_FORMAT"}, Case{"92763086866", "ULN_FORMAT"},
                        Case{"92763O8686", "ULN_FORMAT"}, Case{"", "ULN_FORMAT"}}) {
    auto issue = CheckUln(c.uln);
    ASSERT_TRUE(issue) << c.uln;
    EXPECT_EQ(issue->code, c.code) << c.uln;
    EXPECT_NE(issue->message.find("census error 1575"), std::string::npos) << issue->message;
  }
}

TEST(Upn, DuplicateUpnAcrossPupilsIsCensusError1520) {
  auto a = MakePupil(), b = MakePupil(), c = MakePupil();
  b.id = "S2";
  c.id = "S3";
  c.upn = "X00180001701A";
  auto issues = CheckDuplicateUpns({a, b, c});
  ASSERT_EQ(issues.size(), 1u) << Codes(issues);
  EXPECT_EQ(issues[0].code, "DUPLICATE_UPN");
  EXPECT_EQ(issues[0].path, "pupils[1].upn");
  EXPECT_NE(issues[0].message.find("census error 1520"), std::string::npos);
}

TEST(Upn, UnknownUpnReasonsAreNotDuplicates) {
  auto a = MakePupil(), b = MakePupil();
  a.upn = b.upn = "UN2";
  b.id = "S2";
  EXPECT_TRUE(CheckDuplicateUpns({a, b}).empty());
}
