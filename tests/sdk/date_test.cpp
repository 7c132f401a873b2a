#include <gtest/gtest.h>

#include "sendsync/sdk/date.h"

using sendsync::Date;

TEST(Date, ParsesStrictIso) {
  auto d = Date::Parse("2024-02-29");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->year(), 2024);
  EXPECT_EQ(d->month(), 2);
  EXPECT_EQ(d->day(), 29);
  EXPECT_EQ(d->ToString(), "2024-02-29");
}

TEST(Date, RefusesImpossibleAndNonIsoDates) {
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "24-01-01",
                          "2024/01/01", "01/02/2024", "2024-1-1", "", "2024-01-01T00:00"})
    EXPECT_FALSE(Date::Parse(bad)) << bad;
}

TEST(Date, DayArithmeticRoundTrips) {
  Date d(2025, 9, 1);
  for (long n : {-800L, -1L, 0L, 1L, 30L, 365L, 10000L})
    EXPECT_EQ(d.AddDays(n).AddDays(-n), d) << n;
  EXPECT_EQ(Date(1970, 1, 1).days(), 0);
  EXPECT_EQ(Date(2000, 3, 1).days() - Date(2000, 2, 28).days(), 2);
  EXPECT_EQ(Date(2026, 1, 15).DaysUntil(Date(2026, 2, 26)), 42);
}

TEST(Date, WeekdayIsMondayZero) {
  EXPECT_EQ(Date(2026, 1, 15).weekday(), 3);  // SEN2 survey day 2026 is a Thursday
  EXPECT_EQ(Date(2027, 1, 21).weekday(), 3);
  EXPECT_EQ(Date(2026, 11, 23).weekday(), 0);
}

TEST(Date, AddMonthsClampsToMonthEnd) {
  EXPECT_EQ(Date(2025, 1, 31).AddMonths(1), Date(2025, 2, 28));
  EXPECT_EQ(Date(2024, 1, 31).AddMonths(1), Date(2024, 2, 29));
  EXPECT_EQ(Date(2025, 3, 10).AddMonths(12), Date(2026, 3, 10));
  EXPECT_EQ(Date(2025, 3, 10).AddMonths(-3), Date(2024, 12, 10));
}
