/* TOML 1.0 date/time values (RFC 3339 profiles): recognition and range validation. */
#include "lib/toml/toml-internal.h"

#include <stdbool.h>

/* n decimal digits at s, as a number; -1 when any is missing. */
static int digits(const char *s, size_t avail, size_t n)
{
	if (avail < n)
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool looks_like_date(const char *s, size_t avail)
{
	return digits(s, avail, 4) >= 0 && avail > 4 && s[4] == '-';
}

static bool looks_like_time(const char *s, size_t avail)
{
	return digits(s, avail, 2) >= 0 && avail > 2 && s[2] == ':';
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

/* full-date = YYYY-MM-DD */
static int scan_date(const char *s, size_t avail, const char **why)
{
	int year = digits(s, avail, 4), month = avail >= 10 ? digits(s + 5, 2, 2) : -1;
	if (month < 0 || s[7] != '-' || digits(s + 8, 2, 2) < 0) {
		*why = "malformed date (want YYYY-MM-DD)";
		return -1;
	}
	int day = digits(s + 8, 2, 2);
	if (month < 1 || month > 12) {
		*why = "month out of range";
		return -1;
	}
	if (day < 1 || day > days_in_month(year, month)) {
		*why = "day out of range for the month";
		return -1;
	}
	return 10;
}

/* partial-time = HH:MM:SS[.fraction]; returns the length. */
static int scan_time(const char *s, size_t avail, const char **why)
{
	bool complete = avail >= 8 && s[2] == ':' && s[5] == ':';
	int hour = complete ? digits(s, 2, 2) : -1, minute = complete ? digits(s + 3, 2, 2) : -1;
	int second = complete ? digits(s + 6, 2, 2) : -1;
	if (!complete || hour < 0 || minute < 0 || second < 0) {
		*why = "malformed time (want HH:MM:SS)";
		return -1;
	}
	/* RFC 3339 allows second 60 for a leap second. */
	if (hour > 23 || minute > 59 || second > 60) {
		*why = "time out of range";
		return -1;
	}
	size_t len = 8;
	if (len < avail && s[len] == '.') {
		len++;
		size_t start = len;
		while (len < avail && s[len] >= '0' && s[len] <= '9')
			len++;
		if (len == start) {
			*why = "fraction of a second without digits";
			return -1;
		}
	}
	return (int)len;
}

/* time-offset = Z / (+|-)HH:MM; returns the length, 0 when there is none. */
static int scan_offset(const char *s, size_t avail, const char **why)
{
	if (avail == 0)
		return 0;
	if (s[0] == 'Z' || s[0] == 'z')
		return 1;
	if (s[0] != '+' && s[0] != '-')
		return 0;
	bool complete = avail >= 6 && s[3] == ':';
	int hour = complete ? digits(s + 1, 2, 2) : -1, minute = complete ? digits(s + 4, 2, 2) : -1;
	if (hour < 0 || minute < 0) {
		*why = "malformed time offset (want +HH:MM)";
		return -1;
	}
	if (hour > 23 || minute > 59) {
		*why = "time offset out of range";
		return -1;
	}
	return 6;
}

int cnb__toml_datetime_scan(const char *s, size_t avail, cnb_toml_type *type, size_t *len, const char **why)
{
	if (looks_like_time(s, avail)) {
		int n = scan_time(s, avail, why);
		if (n < 0)
			return -1;
		*type = CNB_TOML_TIME_LOCAL;
		*len = (size_t)n;
		return 0;
	}
	if (!looks_like_date(s, avail))
		return 1;
	if (scan_date(s, avail, why) < 0)
		return -1;
	size_t at = 10;
	/* A space separates date and time only when a time follows ("1979-05-27 # comment" is a date). */
	bool time_follows = at < avail && (s[at] == 'T' || s[at] == 't' ||
					   (s[at] == ' ' && looks_like_time(s + at + 1, avail - at - 1)));
	if (!time_follows) {
		*type = CNB_TOML_DATE_LOCAL;
		*len = at;
		return 0;
	}
	at++;
	int n = scan_time(s + at, avail - at, why);
	if (n < 0)
		return -1;
	at += (size_t)n;
	int offset = scan_offset(s + at, avail - at, why);
	if (offset < 0)
		return -1;
	*type = offset ? CNB_TOML_DATETIME : CNB_TOML_DATETIME_LOCAL;
	*len = at + (size_t)offset;
	return 0;
}
