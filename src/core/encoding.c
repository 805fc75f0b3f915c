/*
 * encoding.c - the raw-row store, schema learning, dense encoding and the
 * ENCD model section (see encoding.h for the rules).
 */
#include "encoding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

/* Bytewise order, a shorter prefix first: the order of every sorted list. */
static int
cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int			c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

static uint64_t
hash_bytes(uint64_t seed, const char *s, size_t len)
{
	uint64_t	h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);

	for (size_t i = 0; i < len; i++)
	{
		h ^= (uint8_t) s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 32;
	return h;
}

static char *
copy_text(const char *s, size_t len)
{
	char	   *c = pmed_alloc(len + 1);

	if (len > 0)
		memcpy(c, s, len);
	return c;
}

const char *
pmed_column_kind_name(int kind)
{
	switch (kind)
	{
		case PMED_COL_NUMBER:
			return "number";
		case PMED_COL_BOOL:
			return "boolean";
		case PMED_COL_CATEGORY:
			return "category";
		case PMED_COL_CODES:
			return "codes";
		case PMED_COL_DATE:
			return "date";
		default:
			return "empty";
	}
}

static const char *
value_kind_name(int kind)
{
	switch (kind)
	{
		case PMED_VALUE_NUMBER:
			return "number";
		case PMED_VALUE_BOOL:
			return "boolean";
		case PMED_VALUE_STRING:
			return "string";
		case PMED_VALUE_CODES:
			return "list of codes";
		case PMED_VALUE_DATE:
			return "date";
		default:
			return "null";
	}
}

/* ---- ISO 8601 dates ---- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
read_digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
	int			v = 0;

	if (*pos + n > len)
		return false;
	for (int i = 0; i < n; i++)
	{
		char		c = s[*pos + i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*pos += n;
	*out = v;
	return true;
}

bool
pmed_parse_iso_date(const char *s, size_t len, double *days)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t		pos = 0;
	int64_t		year = 0;
	int			ydigits = 0,
				month,
				day,
				hour = 0,
				minute = 0,
				second = 0;
	double		frac = 0.0,
				offset = 0.0;		/* seconds east of UTC */

	while (pos < len && s[pos] >= '0' && s[pos] <= '9' && ydigits < 6)
	{
		year = year * 10 + (s[pos] - '0');
		pos++;
		ydigits++;
	}
	if (ydigits < 4 || pos >= len || s[pos++] != '-')
		return false;
	if (!read_digits(s, len, &pos, 2, &month) || pos >= len || s[pos++] != '-' ||
		!read_digits(s, len, &pos, 2, &day))
		return false;
	if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1])
		return false;
	if (month == 2 && day == 29 &&
		!((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return false;
	if (pos < len)
	{
		if (s[pos] != 'T' && s[pos] != ' ')
			return false;
		pos++;
		if (!read_digits(s, len, &pos, 2, &hour) || pos >= len || s[pos++] != ':' ||
			!read_digits(s, len, &pos, 2, &minute))
			return false;
		if (pos < len && s[pos] == ':')
		{
			pos++;
			if (!read_digits(s, len, &pos, 2, &second))
				return false;
			if (pos < len && s[pos] == '.')
			{
				double		scale = 0.1;
				int			nd = 0;

				pos++;
				while (pos < len && s[pos] >= '0' && s[pos] <= '9')
				{
					frac += (s[pos] - '0') * scale;
					scale /= 10.0;
					pos++;
					nd++;
				}
				if (nd == 0)
					return false;
			}
		}
		if (hour > 23 || minute > 59 || second > 60)
			return false;
		if (pos < len && s[pos] == 'Z')
			pos++;
		else if (pos < len && (s[pos] == '+' || s[pos] == '-'))
		{
			int			sign = s[pos] == '-' ? -1 : 1;
			int			oh,
						om = 0,
						os = 0;

			pos++;
			if (!read_digits(s, len, &pos, 2, &oh))
				return false;
			if (pos < len && s[pos] == ':')
			{
				pos++;
				if (!read_digits(s, len, &pos, 2, &om))
					return false;
				if (pos < len && s[pos] == ':')
				{
					pos++;
					if (!read_digits(s, len, &pos, 2, &os))
						return false;
				}
			}
			if (oh > 15 || om > 59 || os > 59)
				return false;
			offset = sign * (oh * 3600.0 + om * 60.0 + os);
		}
	}
	if (pos != len)
		return false;
	*days = (double) days_from_civil(year, month, day) +
		(hour * 3600.0 + minute * 60.0 + second + frac - offset) / 86400.0;
	return true;
}

/* ---- varints ---- */

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t		n = 0;

	while (v >= 0x80)
	{
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return n;
}

/* Bounded read: false when the bytes end or the value exceeds 32 bits. */
static bool
get_varint(const uint8_t *p, size_t len, size_t *pos, uint32_t *out)
{
	uint64_t	v = 0;

	for (int shift = 0; shift < 35; shift += 7)
	{
		uint8_t		b;

		if (*pos >= len)
			return false;
		b = p[(*pos)++];
		v |= (uint64_t) (b & 0x7F) << shift;
		if (!(b & 0x80))
		{
			if (v > UINT32_MAX)
				return false;
			*out = (uint32_t) v;
			return true;
		}
	}
	return false;
}

/* ---- the row store ---- */

struct PmedRowStore
{
	/* columns, in order of first appearance */
	uint32_t	n_cols;
	uint32_t	cap_cols;
	char	  **col_name;
	uint32_t   *col_len;
	uint8_t    *col_kind;		/* PmedValueKind of its values; NULL until one */
	int64_t    *col_stamp;		/* last row that had it (duplicate check) */
	uint32_t   *col_hash;		/* open addressing: id + 1, 0 = free */
	uint32_t	col_hash_size;

	/* strings interned per column */
	uint32_t	n_str;
	uint32_t	cap_str;
	char	  **str;
	uint32_t   *str_len;
	uint32_t   *str_col;
	uint32_t   *str_hash;
	uint32_t	str_hash_size;

	/* rows */
	uint8_t    *cells;
	size_t		len;
	size_t		cap;
	size_t	   *row_start;		/* n_rows + 1 offsets */
	int64_t		n_rows;
	int64_t		cap_rows;
	size_t		text_bytes;		/* bytes of interned names and strings */
	int64_t		stamp;
};

PmedRowStore *
pmed_rowstore_new(void)
{
	PmedRowStore *rs = pmed_alloc(sizeof(PmedRowStore));

	rs->col_hash_size = 64;
	rs->col_hash = pmed_alloc_array(rs->col_hash_size, sizeof(uint32_t));
	rs->str_hash_size = 256;
	rs->str_hash = pmed_alloc_array(rs->str_hash_size, sizeof(uint32_t));
	rs->cap_rows = 64;
	rs->row_start = pmed_alloc_array(rs->cap_rows + 1, sizeof(size_t));
	rs->cap = 1024;
	rs->cells = pmed_alloc(rs->cap);
	return rs;
}

void
pmed_rowstore_free(PmedRowStore *rs)
{
	if (rs == NULL)
		return;
	for (uint32_t i = 0; i < rs->n_cols; i++)
		pmed_free(rs->col_name[i]);
	for (uint32_t i = 0; i < rs->n_str; i++)
		pmed_free(rs->str[i]);
	pmed_free(rs->col_name);
	pmed_free(rs->col_len);
	pmed_free(rs->col_kind);
	pmed_free(rs->col_stamp);
	pmed_free(rs->col_hash);
	pmed_free(rs->str);
	pmed_free(rs->str_len);
	pmed_free(rs->str_col);
	pmed_free(rs->str_hash);
	pmed_free(rs->cells);
	pmed_free(rs->row_start);
	pmed_free(rs);
}

int64_t
pmed_rowstore_rows(const PmedRowStore *rs)
{
	return rs->n_rows;
}

size_t
pmed_rowstore_bytes(const PmedRowStore *rs)
{
	return sizeof(PmedRowStore) + rs->cap + (size_t) (rs->cap_rows + 1) * sizeof(size_t) +
		rs->text_bytes + (size_t) rs->cap_cols * (sizeof(char *) + 4 + 1 + 8) +
		(size_t) rs->col_hash_size * 4 + (size_t) rs->cap_str * (sizeof(char *) + 8) +
		(size_t) rs->str_hash_size * 4;
}

static int64_t
find_column(const PmedRowStore *rs, const char *s, uint32_t len)
{
	uint32_t	mask = rs->col_hash_size - 1;
	uint32_t	h = (uint32_t) hash_bytes(0, s, len) & mask;

	for (;;)
	{
		uint32_t	slot = rs->col_hash[h];

		if (slot == 0)
			return -1;
		if (rs->col_len[slot - 1] == len && memcmp(rs->col_name[slot - 1], s, len) == 0)
			return slot - 1;
		h = (h + 1) & mask;
	}
}

static void
col_hash_insert(PmedRowStore *rs, uint32_t id)
{
	uint32_t	mask = rs->col_hash_size - 1;
	uint32_t	h = (uint32_t) hash_bytes(0, rs->col_name[id], rs->col_len[id]) & mask;

	while (rs->col_hash[h] != 0)
		h = (h + 1) & mask;
	rs->col_hash[h] = id + 1;
}

static uint32_t
add_column(PmedRowStore *rs, const char *s, uint32_t len)
{
	uint32_t	id = rs->n_cols;

	if (rs->n_cols == rs->cap_cols)
	{
		uint32_t	cap = rs->cap_cols ? rs->cap_cols * 2 : 16;

		rs->col_name = pmed_realloc(rs->col_name, (size_t) cap * sizeof(char *));
		rs->col_len = pmed_realloc(rs->col_len, (size_t) cap * sizeof(uint32_t));
		rs->col_kind = pmed_realloc(rs->col_kind, (size_t) cap);
		rs->col_stamp = pmed_realloc(rs->col_stamp, (size_t) cap * sizeof(int64_t));
		rs->cap_cols = cap;
	}
	rs->col_name[id] = copy_text(s, len);
	rs->col_len[id] = len;
	rs->col_kind[id] = PMED_VALUE_NULL;
	rs->col_stamp[id] = -1;
	rs->n_cols++;
	rs->text_bytes += len + 1;
	if ((size_t) rs->n_cols * 2 > rs->col_hash_size)
	{
		pmed_free(rs->col_hash);
		rs->col_hash_size *= 2;
		rs->col_hash = pmed_alloc_array(rs->col_hash_size, sizeof(uint32_t));
		for (uint32_t i = 0; i < rs->n_cols; i++)
			col_hash_insert(rs, i);
	}
	else
		col_hash_insert(rs, id);
	return id;
}

static void
str_hash_insert(PmedRowStore *rs, uint32_t id)
{
	uint32_t	mask = rs->str_hash_size - 1;
	uint32_t	h = (uint32_t) hash_bytes(rs->str_col[id] + 1, rs->str[id], rs->str_len[id]) & mask;

	while (rs->str_hash[h] != 0)
		h = (h + 1) & mask;
	rs->str_hash[h] = id + 1;
}

/* The id of string s of column col, interned on first sight. */
static uint32_t
intern_string(PmedRowStore *rs, uint32_t col, const char *s, uint32_t len)
{
	uint32_t	mask = rs->str_hash_size - 1;
	uint32_t	h = (uint32_t) hash_bytes(col + 1, s, len) & mask;
	uint32_t	id;

	for (;;)
	{
		uint32_t	slot = rs->str_hash[h];

		if (slot == 0)
			break;
		if (rs->str_col[slot - 1] == col && rs->str_len[slot - 1] == len &&
			memcmp(rs->str[slot - 1], s, len) == 0)
			return slot - 1;
		h = (h + 1) & mask;
	}
	id = rs->n_str;
	if (rs->n_str == rs->cap_str)
	{
		uint32_t	cap = rs->cap_str ? rs->cap_str * 2 : 64;

		rs->str = pmed_realloc(rs->str, (size_t) cap * sizeof(char *));
		rs->str_len = pmed_realloc(rs->str_len, (size_t) cap * sizeof(uint32_t));
		rs->str_col = pmed_realloc(rs->str_col, (size_t) cap * sizeof(uint32_t));
		rs->cap_str = cap;
	}
	rs->str[id] = copy_text(s, len);
	rs->str_len[id] = len;
	rs->str_col[id] = col;
	rs->n_str++;
	rs->text_bytes += len + 1;
	if ((size_t) rs->n_str * 2 > rs->str_hash_size)
	{
		pmed_free(rs->str_hash);
		rs->str_hash_size *= 2;
		rs->str_hash = pmed_alloc_array(rs->str_hash_size, sizeof(uint32_t));
		for (uint32_t i = 0; i < rs->n_str; i++)
			str_hash_insert(rs, i);
	}
	else
		rs->str_hash[h] = id + 1;
	return id;
}

static void
reserve_cells(PmedRowStore *rs, size_t more)
{
	size_t		need = rs->len + more;

	if (need <= rs->cap)
		return;
	while (rs->cap < need)
		rs->cap *= 2;
	rs->cells = pmed_realloc(rs->cells, rs->cap);
}

/* Check one value without changing the store. */
static PmedStatus
check_value(const PmedRowStore *rs, const PmedRawValue *v, PmedError *err)
{
	int64_t		col;

	if (v->name.len > PMED_ENC_MAX_NAME_BYTES)
	{
		pmed_fail(err, PMED_ERR_LIMIT, "feature name too long (%u bytes)", v->name.len);
		pmed_fail_detail(err, "A feature name is at most %d bytes.", PMED_ENC_MAX_NAME_BYTES);
		return PMED_ERR_LIMIT;
	}
	switch (v->kind)
	{
		case PMED_VALUE_NULL:
			break;
		case PMED_VALUE_NUMBER:
		case PMED_VALUE_DATE:
		case PMED_VALUE_BOOL:
			if (!isfinite(v->number))
			{
				pmed_fail(err, PMED_ERR_INVALID, "feature \"%.*s\" is %s",
						  (int) (v->name.len > 200 ? 200 : v->name.len), v->name.s,
						  isnan(v->number) ? "NaN" : "infinite");
				pmed_fail_detail(err, "Pass NULL for a missing value.");
				return PMED_ERR_INVALID;
			}
			break;
		case PMED_VALUE_STRING:
			if (v->str.len > PMED_ENC_MAX_LEVEL_BYTES)
			{
				pmed_fail(err, PMED_ERR_LIMIT, "value of feature \"%.*s\" too long (%u bytes)",
						  (int) (v->name.len > 200 ? 200 : v->name.len), v->name.s, v->str.len);
				pmed_fail_detail(err, "A category or code is at most %d bytes.",
								 PMED_ENC_MAX_LEVEL_BYTES);
				return PMED_ERR_LIMIT;
			}
			break;
		case PMED_VALUE_CODES:
			if (v->n_codes > PMED_ENC_MAX_CODES)
			{
				pmed_fail(err, PMED_ERR_LIMIT, "feature \"%.*s\" has too many codes (%u)",
						  (int) (v->name.len > 200 ? 200 : v->name.len), v->name.s, v->n_codes);
				pmed_fail_detail(err, "A code list holds at most %d codes.", PMED_ENC_MAX_CODES);
				return PMED_ERR_LIMIT;
			}
			for (uint32_t i = 0; i < v->n_codes; i++)
				if (v->codes[i].len > PMED_ENC_MAX_LEVEL_BYTES)
				{
					pmed_fail(err, PMED_ERR_LIMIT, "a code of feature \"%.*s\" is too long (%u bytes)",
							  (int) (v->name.len > 200 ? 200 : v->name.len), v->name.s,
							  v->codes[i].len);
					pmed_fail_detail(err, "A category or code is at most %d bytes.",
									 PMED_ENC_MAX_LEVEL_BYTES);
					return PMED_ERR_LIMIT;
				}
			break;
		default:
			return pmed_fail(err, PMED_ERR_INTERNAL, "unknown value kind %d", v->kind);
	}
	col = find_column(rs, v->name.s, v->name.len);
	if (col >= 0 && v->kind != PMED_VALUE_NULL && rs->col_kind[col] != PMED_VALUE_NULL &&
		rs->col_kind[col] != v->kind)
	{
		pmed_fail(err, PMED_ERR_INVALID, "feature \"%.*s\" changes type between rows",
				  (int) (v->name.len > 200 ? 200 : v->name.len), v->name.s);
		pmed_fail_detail(err, "Earlier rows give a %s, this row a %s.",
						 value_kind_name(rs->col_kind[col]), value_kind_name(v->kind));
		return PMED_ERR_INVALID;
	}
	return PMED_OK;
}

PmedStatus
pmed_rowstore_add(PmedRowStore *rs, const PmedRawValue *values, int n, PmedError *err)
{
	uint32_t   *ids;
	size_t		need = 0;

	for (int i = 0; i < n; i++)
	{
		PmedStatus	st = check_value(rs, &values[i], err);

		if (st != PMED_OK)
			return st;
		/* generous upper bound of the cell's bytes */
		need += 5 + 1 + 8 + (values[i].kind == PMED_VALUE_CODES ? 5 + 5 * (size_t) values[i].n_codes : 0);
	}
	if (rs->len + need > PMED_MAX_MODEL_BYTES)
		return pmed_fail(err, PMED_ERR_LIMIT, "training rows too large (%zu bytes)", rs->len + need);

	/* resolve columns; a name twice in one row is an error */
	rs->stamp++;
	ids = pmed_alloc_array(n ? n : 1, sizeof(uint32_t));
	for (int i = 0; i < n; i++)
	{
		const PmedRawValue *v = &values[i];
		int64_t		col = find_column(rs, v->name.s, v->name.len);

		if (col < 0)
		{
			if (rs->n_cols >= PMED_ENC_MAX_COLUMNS)
			{
				pmed_free(ids);
				pmed_fail(err, PMED_ERR_LIMIT, "too many features (more than %d names)",
						  PMED_ENC_MAX_COLUMNS);
				return PMED_ERR_LIMIT;
			}
			col = add_column(rs, v->name.s, v->name.len);
		}
		if (rs->col_stamp[col] == rs->stamp)
		{
			pmed_free(ids);
			return pmed_fail(err, PMED_ERR_INVALID, "feature \"%.*s\" appears twice in one row",
							 (int) (v->name.len > 200 ? 200 : v->name.len), v->name.s);
		}
		rs->col_stamp[col] = rs->stamp;
		ids[i] = (uint32_t) col;
	}

	/* write the cells */
	reserve_cells(rs, need);
	for (int i = 0; i < n; i++)
	{
		const PmedRawValue *v = &values[i];
		uint8_t    *p;

		if (v->kind == PMED_VALUE_NULL)
			continue;
		rs->col_kind[ids[i]] = v->kind;
		p = rs->cells + rs->len;
		p += put_varint(p, ids[i]);
		*p++ = v->kind;
		switch (v->kind)
		{
			case PMED_VALUE_NUMBER:
			case PMED_VALUE_DATE:
				memcpy(p, &v->number, 8);
				p += 8;
				break;
			case PMED_VALUE_BOOL:
				*p++ = v->number != 0.0;
				break;
			case PMED_VALUE_STRING:
				p += put_varint(p, intern_string(rs, ids[i], v->str.s, v->str.len));
				break;
			case PMED_VALUE_CODES:
				p += put_varint(p, v->n_codes);
				for (uint32_t c = 0; c < v->n_codes; c++)
					p += put_varint(p, intern_string(rs, ids[i], v->codes[c].s, v->codes[c].len));
				break;
		}
		rs->len = p - rs->cells;
	}
	pmed_free(ids);

	if (rs->n_rows == rs->cap_rows)
	{
		rs->cap_rows *= 2;
		rs->row_start = pmed_realloc(rs->row_start, (size_t) (rs->cap_rows + 1) * sizeof(size_t));
	}
	rs->n_rows++;
	rs->row_start[rs->n_rows] = rs->len;
	return PMED_OK;
}

/*
 * One decoded cell.  The store's own cells are trusted (they were written
 * by pmed_rowstore_add or validated by pmed_rowstore_read).
 */
typedef struct Cell
{
	uint32_t	col;
	uint8_t		kind;
	double		number;
	uint32_t	sid;			/* STRING */
	uint32_t	n_codes;		/* CODES: ids follow at codes_pos */
	size_t		codes_pos;
} Cell;

/* A varint of the store's own (trusted) cells. */
static inline uint32_t
store_varint(const PmedRowStore *rs, size_t *pos)
{
	uint32_t	v = 0;

	get_varint(rs->cells, rs->len, pos, &v);
	return v;
}

static void
next_cell(const PmedRowStore *rs, size_t *pos, Cell *c)
{
	uint32_t	skip;

	get_varint(rs->cells, rs->len, pos, &c->col);
	c->kind = rs->cells[(*pos)++];
	switch (c->kind)
	{
		case PMED_VALUE_NUMBER:
		case PMED_VALUE_DATE:
			memcpy(&c->number, rs->cells + *pos, 8);
			*pos += 8;
			break;
		case PMED_VALUE_BOOL:
			c->number = rs->cells[(*pos)++];
			break;
		case PMED_VALUE_STRING:
			get_varint(rs->cells, rs->len, pos, &c->sid);
			break;
		case PMED_VALUE_CODES:
			get_varint(rs->cells, rs->len, pos, &c->n_codes);
			c->codes_pos = *pos;
			for (uint32_t i = 0; i < c->n_codes; i++)
				get_varint(rs->cells, rs->len, pos, &skip);
			break;
	}
}

PmedStatus
pmed_rowstore_merge(PmedRowStore *dst, const PmedRowStore *src, PmedError *err)
{
	PmedRawValue *vals = pmed_alloc_array(src->n_cols ? src->n_cols : 1, sizeof(PmedRawValue));
	PmedText   *codes = NULL;
	uint32_t	cap_codes = 0;
	PmedStatus	st = PMED_OK;

	for (int64_t r = 0; r < src->n_rows && st == PMED_OK; r++)
	{
		size_t		pos = src->row_start[r];
		int			n = 0;
		uint32_t	used = 0;

		if ((r & 1023) == 0)
			pmed_check_interrupts();
		/* first pass: how many code slots this row needs */
		while (pos < src->row_start[r + 1])
		{
			Cell		c;

			next_cell(src, &pos, &c);
			if (c.kind == PMED_VALUE_CODES)
				used += c.n_codes;
		}
		if (used > cap_codes)
		{
			cap_codes = used;
			codes = pmed_realloc(codes, (size_t) cap_codes * sizeof(PmedText));
		}
		used = 0;
		pos = src->row_start[r];
		while (pos < src->row_start[r + 1])
		{
			Cell		c;
			PmedRawValue *v = &vals[n++];

			next_cell(src, &pos, &c);
			memset(v, 0, sizeof(*v));
			v->name.s = src->col_name[c.col];
			v->name.len = src->col_len[c.col];
			v->kind = c.kind;
			v->number = c.number;
			if (c.kind == PMED_VALUE_STRING)
			{
				v->str.s = src->str[c.sid];
				v->str.len = src->str_len[c.sid];
			}
			else if (c.kind == PMED_VALUE_CODES)
			{
				size_t		cp = c.codes_pos;

				v->codes = codes + used;
				v->n_codes = c.n_codes;
				for (uint32_t i = 0; i < c.n_codes; i++)
				{
					uint32_t	sid = store_varint(src, &cp);

					codes[used].s = src->str[sid];
					codes[used].len = src->str_len[sid];
					used++;
				}
			}
		}
		st = pmed_rowstore_add(dst, vals, n, err);
	}
	/* names that only ever were NULL still exist as (empty) columns */
	for (uint32_t i = 0; i < src->n_cols && st == PMED_OK; i++)
		if (find_column(dst, src->col_name[i], src->col_len[i]) < 0)
		{
			if (dst->n_cols >= PMED_ENC_MAX_COLUMNS)
				st = pmed_fail(err, PMED_ERR_LIMIT, "too many features (more than %d names)",
							   PMED_ENC_MAX_COLUMNS);
			else
				add_column(dst, src->col_name[i], src->col_len[i]);
		}
	pmed_free(vals);
	pmed_free(codes);
	return st;
}

/*
 * Serialized store: u32 n_cols, per column (str name, u8 kind); u32 n_str,
 * per string (u32 column, str bytes); u64 n_rows; u64 cell bytes; per row
 * its u32 byte length; the cells.
 */
void
pmed_rowstore_write(PmedWriter *w, const PmedRowStore *rs)
{
	pmed_put_u32(w, rs->n_cols);
	for (uint32_t i = 0; i < rs->n_cols; i++)
	{
		pmed_put_u32(w, rs->col_len[i]);
		pmed_put_bytes(w, rs->col_name[i], rs->col_len[i]);
		pmed_put_u8(w, rs->col_kind[i]);
	}
	pmed_put_u32(w, rs->n_str);
	for (uint32_t i = 0; i < rs->n_str; i++)
	{
		pmed_put_u32(w, rs->str_col[i]);
		pmed_put_u32(w, rs->str_len[i]);
		pmed_put_bytes(w, rs->str[i], rs->str_len[i]);
	}
	pmed_put_u64(w, (uint64_t) rs->n_rows);
	pmed_put_u64(w, (uint64_t) rs->len);
	for (int64_t r = 0; r < rs->n_rows; r++)
		pmed_put_u32(w, (uint32_t) (rs->row_start[r + 1] - rs->row_start[r]));
	pmed_put_bytes(w, rs->cells, rs->len);
}

/* Read a length-prefixed byte string of at most max bytes without NUL bytes. */
static bool
get_text(PmedReader *r, uint32_t max, char **out, uint32_t *len)
{
	*out = NULL;
	if (!pmed_get_u32(r, len))
		return false;
	if (*len > max)
		return pmed_reader_fail(r, "string too long");
	if (*len > r->left)
		return pmed_reader_fail(r, "truncated");
	if (memchr(r->p, '\0', *len) != NULL)
		return pmed_reader_fail(r, "string contains a zero byte");
	*out = pmed_alloc((size_t) *len + 1);
	return pmed_get_bytes(r, *out, *len);
}

/* Check one row's cells against the dictionaries. */
static bool
validate_row(PmedRowStore *rs, size_t start, size_t end)
{
	size_t		pos = start;

	rs->stamp++;
	while (pos < end)
	{
		uint32_t	col,
					id,
					n;
		uint8_t		kind;
		double		x;

		if (!get_varint(rs->cells, end, &pos, &col) || col >= rs->n_cols || pos >= end)
			return false;
		if (rs->col_stamp[col] == rs->stamp)
			return false;
		rs->col_stamp[col] = rs->stamp;
		kind = rs->cells[pos++];
		if (kind == PMED_VALUE_NULL || kind != rs->col_kind[col])
			return false;
		switch (kind)
		{
			case PMED_VALUE_NUMBER:
			case PMED_VALUE_DATE:
				if (end - pos < 8)
					return false;
				memcpy(&x, rs->cells + pos, 8);
				if (!isfinite(x))
					return false;
				pos += 8;
				break;
			case PMED_VALUE_BOOL:
				if (pos >= end || rs->cells[pos] > 1)
					return false;
				pos++;
				break;
			case PMED_VALUE_STRING:
				if (!get_varint(rs->cells, end, &pos, &id) || id >= rs->n_str || rs->str_col[id] != col)
					return false;
				break;
			case PMED_VALUE_CODES:
				if (!get_varint(rs->cells, end, &pos, &n) || n > PMED_ENC_MAX_CODES)
					return false;
				for (uint32_t i = 0; i < n; i++)
					if (!get_varint(rs->cells, end, &pos, &id) || id >= rs->n_str || rs->str_col[id] != col)
						return false;
				break;
			default:
				return false;
		}
	}
	return pos == end;
}

PmedRowStore *
pmed_rowstore_read(PmedReader *r)
{
	PmedRowStore *rs = pmed_rowstore_new();
	uint32_t	n;
	uint64_t	n_rows,
				len;

	if (!pmed_get_count(r, PMED_ENC_MAX_COLUMNS, 5, &n))
		goto fail;
	for (uint32_t i = 0; i < n; i++)
	{
		char	   *name;
		uint32_t	nlen;
		uint8_t		kind;

		if (!get_text(r, PMED_ENC_MAX_NAME_BYTES, &name, &nlen) || !pmed_get_u8(r, &kind))
		{
			pmed_free(name);
			goto fail;
		}
		if (kind > PMED_VALUE_DATE || find_column(rs, name, nlen) >= 0)
		{
			pmed_free(name);
			pmed_reader_fail(r, "bad training-state column");
			goto fail;
		}
		add_column(rs, name, nlen);
		rs->col_kind[i] = kind;
		pmed_free(name);
	}
	if (!pmed_get_count(r, UINT32_MAX - 1, 8, &n))
		goto fail;
	for (uint32_t i = 0; i < n; i++)
	{
		char	   *s;
		uint32_t	slen,
					col;

		if (!pmed_get_u32(r, &col) || !get_text(r, PMED_ENC_MAX_LEVEL_BYTES, &s, &slen))
			goto fail;
		if (col >= rs->n_cols ||
			(rs->col_kind[col] != PMED_VALUE_STRING && rs->col_kind[col] != PMED_VALUE_CODES))
		{
			pmed_free(s);
			pmed_reader_fail(r, "bad training-state string");
			goto fail;
		}
		if (intern_string(rs, col, s, slen) != i)
		{
			pmed_free(s);
			pmed_reader_fail(r, "duplicate training-state string");
			goto fail;
		}
		pmed_free(s);
	}
	if (!pmed_get_u64(r, &n_rows) || !pmed_get_u64(r, &len))
		goto fail;
	if (n_rows > r->left / 4 || len > PMED_MAX_MODEL_BYTES || len > r->left - n_rows * 4)
	{
		pmed_reader_fail(r, "truncated");
		goto fail;
	}
	pmed_free(rs->row_start);
	rs->cap_rows = (int64_t) n_rows > 64 ? (int64_t) n_rows : 64;
	rs->row_start = pmed_alloc_array(rs->cap_rows + 1, sizeof(size_t));
	for (uint64_t i = 0; i < n_rows; i++)
	{
		uint32_t	rl;

		if (!pmed_get_u32(r, &rl))
			goto fail;
		if (rl > len - rs->row_start[i])
		{
			pmed_reader_fail(r, "row lengths exceed the cells");
			goto fail;
		}
		rs->row_start[i + 1] = rs->row_start[i] + rl;
	}
	if (rs->row_start[n_rows] != len)
	{
		pmed_reader_fail(r, "row lengths do not add up");
		goto fail;
	}
	rs->n_rows = (int64_t) n_rows;
	reserve_cells(rs, len);
	if (!pmed_get_bytes(r, rs->cells, len))
		goto fail;
	rs->len = len;
	for (uint64_t i = 0; i < n_rows; i++)
	{
		if ((i & 1023) == 0)
			pmed_check_interrupts();
		if (!validate_row(rs, rs->row_start[i], rs->row_start[i + 1]))
		{
			pmed_reader_fail(r, "bad training-state row");
			goto fail;
		}
	}
	if (!pmed_reader_done(r))
		goto fail;
	return rs;

fail:
	pmed_rowstore_free(rs);
	return NULL;
}

/* ---- learning ---- */

typedef struct LevelRef
{
	const PmedRowStore *rs;
	uint32_t	sid;
	uint64_t	count;
} LevelRef;

static int
cmp_level_bytes(const void *a, const void *b)
{
	const LevelRef *x = a,
			   *y = b;

	return cmp_bytes(x->rs->str[x->sid], x->rs->str_len[x->sid],
					 y->rs->str[y->sid], y->rs->str_len[y->sid]);
}

/* Most frequent first, ties bytewise: which levels survive a cap. */
static int
cmp_level_count(const void *a, const void *b)
{
	const LevelRef *x = a,
			   *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_level_bytes(a, b);
}

typedef struct ColRef
{
	const PmedRowStore *rs;
	uint32_t	col;
} ColRef;

static int
cmp_col(const void *a, const void *b)
{
	const ColRef *x = a,
			   *y = b;

	return cmp_bytes(x->rs->col_name[x->col], x->rs->col_len[x->col],
					 y->rs->col_name[y->col], y->rs->col_len[y->col]);
}

/* first / width of every column and n_dense; false past the dense limit. */
static bool
layout(PmedEncoding *enc)
{
	uint64_t	next = 0;

	for (uint32_t i = 0; i < enc->n_columns; i++)
	{
		PmedEncColumn *c = &enc->columns[i];

		switch (c->kind)
		{
			case PMED_COL_EMPTY:
				c->width = 0;
				break;
			case PMED_COL_CATEGORY:
				c->width = enc->mode == PMED_ENC_NATIVE ? 1 : c->n_levels + 1;
				break;
			case PMED_COL_CODES:
				c->width = c->n_levels + 1;
				break;
			default:
				c->width = 1;
				break;
		}
		c->first = (uint32_t) (next > UINT32_MAX ? UINT32_MAX : next);
		next += c->width;
		if (next > PMED_ENC_MAX_DENSE)
			return false;
	}
	enc->n_dense = (uint32_t) next;
	return true;
}

/* Kept levels of one category or code column, from its strings and counts. */
static void
learn_levels(const PmedRowStore *rs, PmedEncColumn *c, LevelRef *refs, uint32_t n,
			 uint32_t min_count, uint32_t max_levels)
{
	uint32_t	kept = 0;

	/* keep those at or above the minimum count, then apply the cap */
	for (uint32_t i = 0; i < n; i++)
		if (refs[i].count >= min_count)
		{
			LevelRef	t = refs[kept];

			refs[kept++] = refs[i];
			refs[i] = t;
		}
	if (max_levels > 0 && kept > max_levels)
	{
		qsort(refs, kept, sizeof(LevelRef), cmp_level_count);
		kept = max_levels;
	}
	qsort(refs, kept, sizeof(LevelRef), cmp_level_bytes);
	c->n_levels = kept;
	c->levels = pmed_alloc_array(kept ? kept : 1, sizeof(char *));
	c->level_counts = pmed_alloc_array(kept ? kept : 1, sizeof(uint64_t));
	for (uint32_t i = 0; i < kept; i++)
	{
		c->levels[i] = copy_text(rs->str[refs[i].sid], rs->str_len[refs[i].sid]);
		c->level_counts[i] = refs[i].count;
	}
	c->n_pooled = n - kept;
	if (c->kind == PMED_COL_CATEGORY)
		for (uint32_t i = kept; i < n; i++)
			c->other_count += refs[i].count;
}

static int32_t find_level(const PmedEncColumn *c, const char *s, size_t len);

/* One pass over the rows: non-NULL values per column, rows per string. */
static void
count_values(const PmedRowStore *rs, uint64_t *present, uint64_t *count)
{
	int64_t    *seen = pmed_alloc_array(rs->n_str ? rs->n_str : 1, sizeof(int64_t));

	for (uint32_t i = 0; i < rs->n_str; i++)
		seen[i] = -1;
	for (int64_t r = 0; r < rs->n_rows; r++)
	{
		size_t		pos = rs->row_start[r];

		if ((r & 4095) == 0)
			pmed_check_interrupts();
		while (pos < rs->row_start[r + 1])
		{
			Cell		c;

			next_cell(rs, &pos, &c);
			present[c.col]++;
			if (c.kind == PMED_VALUE_STRING)
				count[c.sid]++;
			else if (c.kind == PMED_VALUE_CODES)
			{
				size_t		cp = c.codes_pos;

				/* a code twice in one list counts once */
				for (uint32_t i = 0; i < c.n_codes; i++)
				{
					uint32_t	sid = store_varint(rs, &cp);

					if (seen[sid] != r)
					{
						seen[sid] = r;
						count[sid]++;
					}
				}
			}
		}
	}
	pmed_free(seen);
}

/* String ids grouped by column: column c's are by_col[start[c] .. start[c + 1]). */
static void
group_strings(const PmedRowStore *rs, uint32_t *start, uint32_t *by_col)
{
	uint32_t   *fill = pmed_alloc_array(rs->n_cols ? rs->n_cols : 1, sizeof(uint32_t));

	for (uint32_t i = 0; i < rs->n_str; i++)
		start[rs->str_col[i] + 1]++;
	for (uint32_t c = 0; c < rs->n_cols; c++)
		start[c + 1] += start[c];
	for (uint32_t i = 0; i < rs->n_str; i++)
	{
		uint32_t	c = rs->str_col[i];

		by_col[start[c] + fill[c]++] = i;
	}
	pmed_free(fill);
}

/* Kind and levels of store column col, whose strings are sids[0 .. ns). */
static void
learn_column(const PmedRowStore *rs, uint32_t col, const uint32_t *sids, uint32_t ns,
			 const uint64_t *count, LevelRef *refs, uint32_t min_count, uint32_t max_levels,
			 PmedEncColumn *c)
{
	bool		all_dates = ns > 0;
	double		d;

	switch (rs->col_kind[col])
	{
		case PMED_VALUE_NUMBER:
			c->kind = PMED_COL_NUMBER;
			return;
		case PMED_VALUE_BOOL:
			c->kind = PMED_COL_BOOL;
			return;
		case PMED_VALUE_DATE:
			c->kind = PMED_COL_DATE;
			return;
		case PMED_VALUE_STRING:
		case PMED_VALUE_CODES:
			break;
		default:
			c->kind = PMED_COL_EMPTY;
			return;
	}
	if (rs->col_kind[col] == PMED_VALUE_STRING)
	{
		/* strings that are all ISO 8601 dates (to_jsonb's form of dates) make a date */
		for (uint32_t k = 0; k < ns && all_dates; k++)
			all_dates = pmed_parse_iso_date(rs->str[sids[k]], rs->str_len[sids[k]], &d);
		if (all_dates)
		{
			c->kind = PMED_COL_DATE;
			c->from_strings = 1;
			return;
		}
	}
	c->kind = rs->col_kind[col] == PMED_VALUE_STRING ? PMED_COL_CATEGORY : PMED_COL_CODES;
	for (uint32_t k = 0; k < ns; k++)
	{
		refs[k].rs = rs;
		refs[k].sid = sids[k];
		refs[k].count = count[sids[k]];
	}
	learn_levels(rs, c, refs, ns, min_count, c->kind == PMED_COL_CATEGORY ? max_levels : 0);
}

/* other_count of code columns: rows holding at least one pooled code. */
static void
count_pooled_code_rows(const PmedRowStore *rs, PmedEncoding *enc, const int32_t *enc_col)
{
	uint8_t    *pooled = pmed_alloc(rs->n_str ? rs->n_str : 1);

	for (uint32_t s = 0; s < rs->n_str; s++)
	{
		const PmedEncColumn *c = &enc->columns[enc_col[rs->str_col[s]]];

		pooled[s] = c->kind == PMED_COL_CODES && find_level(c, rs->str[s], rs->str_len[s]) < 0;
	}
	for (int64_t r = 0; r < rs->n_rows; r++)
	{
		size_t		pos = rs->row_start[r];

		if ((r & 4095) == 0)
			pmed_check_interrupts();
		while (pos < rs->row_start[r + 1])
		{
			Cell		c;

			next_cell(rs, &pos, &c);
			if (c.kind != PMED_VALUE_CODES)
				continue;
			for (uint32_t i = 0; i < c.n_codes; i++)
				if (pooled[store_varint(rs, &c.codes_pos)])
				{
					enc->columns[enc_col[c.col]].other_count++;
					break;
				}
		}
	}
	pmed_free(pooled);
}

PmedStatus
pmed_encoding_learn(const PmedRowStore *rs, const PmedEncodeParams *params,
					PmedEncoding **out, PmedError *err)
{
	PmedEncoding *enc;
	size_t		ncol = rs->n_cols ? rs->n_cols : 1;
	size_t		nstr = rs->n_str ? rs->n_str : 1;
	uint64_t   *present;
	uint64_t   *count;
	uint32_t   *col_strings;
	uint32_t   *by_col;
	ColRef	   *order;
	int32_t    *enc_col;
	LevelRef   *refs;
	uint32_t	min_count = params->min_category_count ? params->min_category_count : 1;
	uint32_t	max_levels = params->max_levels;

	*out = NULL;
	if (params->mode != PMED_ENC_ONEHOT && params->mode != PMED_ENC_NATIVE)
		return pmed_fail(err, PMED_ERR_INTERNAL, "unknown encoding mode %d", params->mode);
	if (params->mode == PMED_ENC_NATIVE &&
		(max_levels == 0 || max_levels > PMED_ENC_NATIVE_MAX_LEVELS))
		max_levels = PMED_ENC_NATIVE_MAX_LEVELS;

	present = pmed_alloc_array(ncol, sizeof(uint64_t));
	count = pmed_alloc_array(nstr, sizeof(uint64_t));
	count_values(rs, present, count);
	col_strings = pmed_alloc_array(rs->n_cols + 1, sizeof(uint32_t));
	by_col = pmed_alloc_array(nstr, sizeof(uint32_t));
	group_strings(rs, col_strings, by_col);

	/* input columns in bytewise name order */
	order = pmed_alloc_array(ncol, sizeof(ColRef));
	for (uint32_t c = 0; c < rs->n_cols; c++)
	{
		order[c].rs = rs;
		order[c].col = c;
	}
	qsort(order, rs->n_cols, sizeof(ColRef), cmp_col);

	enc = pmed_alloc(sizeof(PmedEncoding));
	enc->mode = params->mode;
	enc->min_category_count = min_count;
	enc->n_rows = (uint64_t) rs->n_rows;
	enc->n_columns = rs->n_cols;
	enc->columns = pmed_alloc_array(ncol, sizeof(PmedEncColumn));
	enc_col = pmed_alloc_array(ncol, sizeof(int32_t));
	refs = pmed_alloc_array(nstr, sizeof(LevelRef));
	for (uint32_t i = 0; i < rs->n_cols; i++)
	{
		uint32_t	col = order[i].col;
		PmedEncColumn *c = &enc->columns[i];

		pmed_check_interrupts();
		enc_col[col] = (int32_t) i;
		c->name = copy_text(rs->col_name[col], rs->col_len[col]);
		c->missing_count = (uint64_t) rs->n_rows - present[col];
		learn_column(rs, col, by_col + col_strings[col], col_strings[col + 1] - col_strings[col],
					 count, refs, min_count, max_levels, c);
	}
	count_pooled_code_rows(rs, enc, enc_col);

	pmed_free(present);
	pmed_free(count);
	pmed_free(col_strings);
	pmed_free(by_col);
	pmed_free(order);
	pmed_free(enc_col);
	pmed_free(refs);

	if (!layout(enc))
	{
		pmed_encoding_free(enc);
		pmed_fail(err, PMED_ERR_LIMIT, "too many encoded features (more than %d)",
				  PMED_ENC_MAX_DENSE);
		pmed_fail_detail(err, "Categories and codes take one column per level; raise min_category_count to pool rare levels.");
		return PMED_ERR_LIMIT;
	}
	*out = enc;
	return PMED_OK;
}

void
pmed_encoding_free(PmedEncoding *enc)
{
	if (enc == NULL)
		return;
	for (uint32_t i = 0; i < enc->n_columns; i++)
	{
		PmedEncColumn *c = &enc->columns[i];

		pmed_free(c->name);
		if (c->levels != NULL)
			for (uint32_t k = 0; k < c->n_levels; k++)
				pmed_free(c->levels[k]);
		pmed_free(c->levels);
		pmed_free(c->level_counts);
	}
	pmed_free(enc->columns);
	pmed_free(enc);
}

/* ---- encoding rows ---- */

/* Index of level s in column c, or -1 (other). */
static int32_t
find_level(const PmedEncColumn *c, const char *s, size_t len)
{
	uint32_t	lo = 0,
				hi = c->n_levels;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;
		int			cmp = cmp_bytes(c->levels[mid], strlen(c->levels[mid]), s, len);

		if (cmp == 0)
			return (int32_t) mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
pmed_encoding_find(const PmedEncoding *enc, PmedText name)
{
	uint32_t	lo = 0,
				hi = enc->n_columns;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;
		const char *cn = enc->columns[mid].name;
		int			cmp = cmp_bytes(cn, strlen(cn), name.s, name.len);

		if (cmp == 0)
			return (int) mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Dense cells of column c when its value is missing. */
static void
set_missing(const PmedEncColumn *c, double *out)
{
	for (uint32_t k = 0; k < c->width; k++)
		out[c->first + k] = NAN;
}

/* A category level (-1 = other) into the dense row. */
static void
put_category(const PmedEncoding *enc, const PmedEncColumn *c, int32_t level, double *out)
{
	if (enc->mode == PMED_ENC_NATIVE)
	{
		out[c->first] = level < 0 ? (double) c->n_levels : (double) level;
		return;
	}
	for (uint32_t k = 0; k < c->width; k++)
		out[c->first + k] = 0.0;
	out[c->first + (level < 0 ? c->n_levels : (uint32_t) level)] = 1.0;
}

PmedStatus
pmed_encoding_encode_store(const PmedEncoding *enc, const PmedRowStore *rs,
						   int64_t first, int64_t n, double *x, PmedError *err)
{
	int32_t    *col_map = pmed_alloc_array(rs->n_cols ? rs->n_cols : 1, sizeof(int32_t));
	int32_t    *level = pmed_alloc_array(rs->n_str ? rs->n_str : 1, sizeof(int32_t));
	double	   *days = NULL;

	if (first < 0 || n < 0 || first + n > rs->n_rows)
		return pmed_fail(err, PMED_ERR_INTERNAL, "encode_store: rows out of range");
	for (uint32_t c = 0; c < rs->n_cols; c++)
	{
		int			i = pmed_encoding_find(enc, (PmedText) {rs->col_name[c], rs->col_len[c]});

		col_map[c] = i;
		if (i >= 0 && enc->columns[i].from_strings && days == NULL)
			days = pmed_alloc_array(rs->n_str ? rs->n_str : 1, sizeof(double));
	}
	for (uint32_t s = 0; s < rs->n_str; s++)
	{
		int32_t		ci = col_map[rs->str_col[s]];

		level[s] = -1;
		if (ci < 0)
			continue;
		if (enc->columns[ci].kind == PMED_COL_DATE)
		{
			if (!pmed_parse_iso_date(rs->str[s], rs->str_len[s], &days[s]))
				days[s] = NAN;
		}
		else
			level[s] = find_level(&enc->columns[ci], rs->str[s], rs->str_len[s]);
	}

	for (int64_t r = 0; r < n; r++)
	{
		double	   *out = x + (size_t) r * enc->n_dense;
		size_t		pos = rs->row_start[first + r];

		if ((r & 1023) == 0)
			pmed_check_interrupts();
		for (uint32_t j = 0; j < enc->n_dense; j++)
			out[j] = NAN;
		while (pos < rs->row_start[first + r + 1])
		{
			Cell		cell;
			const PmedEncColumn *c;

			next_cell(rs, &pos, &cell);
			if (col_map[cell.col] < 0)
				continue;
			c = &enc->columns[col_map[cell.col]];
			switch (c->kind)
			{
				case PMED_COL_NUMBER:
				case PMED_COL_BOOL:
					out[c->first] = cell.number;
					break;
				case PMED_COL_DATE:
					out[c->first] = c->from_strings ? days[cell.sid] : cell.number;
					break;
				case PMED_COL_CATEGORY:
					put_category(enc, c, level[cell.sid], out);
					break;
				case PMED_COL_CODES:
					{
						size_t		cp = cell.codes_pos;

						for (uint32_t k = 0; k < c->width; k++)
							out[c->first + k] = 0.0;
						for (uint32_t k = 0; k < cell.n_codes; k++)
						{
							uint32_t	sid = store_varint(rs, &cp);

							out[c->first + (level[sid] < 0 ? c->n_levels : (uint32_t) level[sid])] = 1.0;
						}
					}
					break;
			}
		}
	}
	pmed_free(col_map);
	pmed_free(level);
	pmed_free(days);
	return PMED_OK;
}

static PmedStatus
wrong_kind(const PmedEncColumn *c, const PmedRawValue *v, PmedError *err)
{
	pmed_fail(err, PMED_ERR_INVALID, "feature \"%s\" is a %s, not a %s",
			  c->name, pmed_column_kind_name(c->kind), value_kind_name(v->kind));
	pmed_fail_detail(err, "The model learned feature \"%s\" as a %s from its training rows.",
					 c->name, pmed_column_kind_name(c->kind));
	return PMED_ERR_INVALID;
}

PmedStatus
pmed_encoding_encode_row(const PmedEncoding *enc, const PmedRawValue *values, int n,
						 double *out, PmedEncodeStats *stats, uint8_t *status,
						 PmedError *err)
{
	uint64_t	other = 0,
				unknown = 0,
				given = 0;

	for (uint32_t j = 0; j < enc->n_dense; j++)
		out[j] = NAN;
	if (status != NULL)
		memset(status, PMED_VS_ABSENT, enc->n_columns);
	for (int i = 0; i < n; i++)
	{
		const PmedRawValue *v = &values[i];
		int			ci = pmed_encoding_find(enc, v->name);
		const PmedEncColumn *c;
		uint8_t		vs = PMED_VS_OK;
		int32_t		level;
		double		d;

		if (ci < 0)
		{
			unknown++;
			continue;
		}
		c = &enc->columns[ci];
		if (status != NULL && status[ci] != PMED_VS_ABSENT)
			return pmed_fail(err, PMED_ERR_INVALID, "feature \"%s\" appears twice in one row", c->name);
		if (v->kind == PMED_VALUE_NULL)
		{
			if (status != NULL)
				status[ci] = PMED_VS_MISSING;
			set_missing(c, out);
			continue;
		}
		switch (c->kind)
		{
			case PMED_COL_EMPTY:
				break;
			case PMED_COL_NUMBER:
			case PMED_COL_BOOL:
				if (v->kind != (c->kind == PMED_COL_NUMBER ? PMED_VALUE_NUMBER : PMED_VALUE_BOOL))
					return wrong_kind(c, v, err);
				if (!isfinite(v->number))
					return pmed_fail(err, PMED_ERR_INVALID, "feature \"%s\" is %s", c->name,
									 isnan(v->number) ? "NaN" : "infinite");
				out[c->first] = v->number;
				break;
			case PMED_COL_DATE:
				if (v->kind == PMED_VALUE_DATE)
					d = v->number;
				else if (v->kind == PMED_VALUE_STRING)
				{
					if (!pmed_parse_iso_date(v->str.s, v->str.len, &d))
					{
						pmed_fail(err, PMED_ERR_INVALID, "feature \"%s\" is a date, not \"%.*s\"",
								  c->name, (int) (v->str.len > 100 ? 100 : v->str.len), v->str.s);
						pmed_fail_detail(err, "A date is given as a date or timestamp, or as ISO 8601 text such as 2020-03-01 or 2020-03-01T12:30:00+01:00.");
						return PMED_ERR_INVALID;
					}
				}
				else
					return wrong_kind(c, v, err);
				if (!isfinite(d))
					return pmed_fail(err, PMED_ERR_INVALID, "feature \"%s\" is not a finite date", c->name);
				out[c->first] = d;
				break;
			case PMED_COL_CATEGORY:
				if (v->kind != PMED_VALUE_STRING)
					return wrong_kind(c, v, err);
				level = find_level(c, v->str.s, v->str.len);
				if (level < 0)
				{
					vs = PMED_VS_OTHER;
					other++;
				}
				put_category(enc, c, level, out);
				break;
			case PMED_COL_CODES:
				if (v->kind != PMED_VALUE_CODES)
					return wrong_kind(c, v, err);
				for (uint32_t k = 0; k < c->width; k++)
					out[c->first + k] = 0.0;
				for (uint32_t k = 0; k < v->n_codes; k++)
				{
					level = find_level(c, v->codes[k].s, v->codes[k].len);
					if (level < 0)
					{
						vs = PMED_VS_OTHER;
						other++;
					}
					out[c->first + (level < 0 ? c->n_levels : (uint32_t) level)] = 1.0;
				}
				break;
		}
		given++;
		if (status != NULL)
			status[ci] = vs;
	}
	if (stats != NULL)
	{
		stats->other_values += other;
		stats->unknown_names += unknown;
		stats->missing_values += enc->n_columns - given;
	}
	return PMED_OK;
}

void
pmed_encoding_match(const PmedEncoding *enc, const PmedRawValue *values, int n,
					int32_t *value_of)
{
	for (uint32_t i = 0; i < enc->n_columns; i++)
		value_of[i] = -1;
	for (int v = 0; v < n; v++)
	{
		int			ci = pmed_encoding_find(enc, values[v].name);

		if (ci >= 0 && value_of[ci] < 0)
			value_of[ci] = v;
	}
}

uint32_t
pmed_encoding_column_of(const PmedEncoding *enc, uint32_t j)
{
	uint32_t	lo = 0,
				hi = enc->n_columns;

	/*
	 * The last column whose first <= j.  A width-0 column shares its first
	 * with the next one, so for j < n_dense this is never a width-0 column.
	 */
	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (enc->columns[mid].first <= j)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 ? lo - 1 : 0;
}

void
pmed_encoding_sum_by_column(const PmedEncoding *enc, const double *dense, double *per_column)
{
	for (uint32_t i = 0; i < enc->n_columns; i++)
	{
		const PmedEncColumn *c = &enc->columns[i];
		double		s = 0.0;

		for (uint32_t k = 0; k < c->width; k++)
			s += dense[c->first + k];
		per_column[i] = s;
	}
}

char *
pmed_encoding_dense_name(const PmedEncoding *enc, uint32_t j)
{
	const PmedEncColumn *c = &enc->columns[pmed_encoding_column_of(enc, j)];
	uint32_t	k = j - c->first;
	const char *part;
	size_t		nlen,
				plen;
	char	   *s;

	if (c->kind != PMED_COL_CODES &&
		!(c->kind == PMED_COL_CATEGORY && enc->mode == PMED_ENC_ONEHOT))
		return pmed_strdup(c->name);
	part = k < c->n_levels ? c->levels[k] : "(other)";
	nlen = strlen(c->name);
	plen = strlen(part);
	s = pmed_alloc(nlen + plen + 2);
	memcpy(s, c->name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, part, plen);
	return s;
}

/* ---- the ENCD section ---- */

void
pmed_encoding_write(PmedWriter *w, const PmedEncoding *enc)
{
	pmed_put_u8(w, PMED_ENC_FORMAT);
	pmed_put_u8(w, enc->mode);
	pmed_put_u32(w, enc->min_category_count);
	pmed_put_u64(w, enc->n_rows);
	pmed_put_u32(w, enc->n_columns);
	for (uint32_t i = 0; i < enc->n_columns; i++)
	{
		const PmedEncColumn *c = &enc->columns[i];

		pmed_put_str(w, c->name);
		pmed_put_u8(w, c->kind);
		pmed_put_u8(w, c->from_strings);
		pmed_put_u64(w, c->missing_count);
		if (c->kind == PMED_COL_CATEGORY || c->kind == PMED_COL_CODES)
		{
			pmed_put_u32(w, c->n_levels);
			for (uint32_t k = 0; k < c->n_levels; k++)
			{
				pmed_put_str(w, c->levels[k]);
				pmed_put_u64(w, c->level_counts[k]);
			}
			pmed_put_u64(w, c->other_count);
			pmed_put_u32(w, c->n_pooled);
		}
	}
}

static PmedEncoding *
encoding_corrupt(PmedReader *r, PmedEncoding *enc, const char *what)
{
	pmed_reader_fail(r, what);
	pmed_encoding_free(enc);
	return NULL;
}

PmedEncoding *
pmed_encoding_read(PmedReader *r)
{
	PmedEncoding *enc = pmed_alloc(sizeof(PmedEncoding));
	uint8_t		format;
	uint32_t	n;

	if (!pmed_get_u8(r, &format) || !pmed_get_u8(r, &enc->mode) ||
		!pmed_get_u32(r, &enc->min_category_count) || !pmed_get_u64(r, &enc->n_rows))
		return encoding_corrupt(r, enc, "truncated");
	if (format != PMED_ENC_FORMAT)
		return encoding_corrupt(r, enc, "unknown encoding format");
	if (enc->mode != PMED_ENC_ONEHOT && enc->mode != PMED_ENC_NATIVE)
		return encoding_corrupt(r, enc, "unknown encoding mode");
	if (enc->min_category_count == 0)
		return encoding_corrupt(r, enc, "bad minimum category count");
	/* a column takes at least 4 + 1 + 1 + 8 bytes */
	if (!pmed_get_count(r, PMED_ENC_MAX_COLUMNS, 14, &n))
		return encoding_corrupt(r, enc, "truncated");
	enc->columns = pmed_alloc_array(n ? n : 1, sizeof(PmedEncColumn));
	enc->n_columns = n;
	for (uint32_t i = 0; i < n; i++)
	{
		PmedEncColumn *c = &enc->columns[i];
		uint32_t	len;

		if (!get_text(r, PMED_ENC_MAX_NAME_BYTES, &c->name, &len))
			return encoding_corrupt(r, enc, "truncated");
		if (i > 0 && cmp_bytes(enc->columns[i - 1].name, strlen(enc->columns[i - 1].name),
							   c->name, len) >= 0)
			return encoding_corrupt(r, enc, "feature names out of order");
		if (!pmed_get_u8(r, &c->kind) || !pmed_get_u8(r, &c->from_strings) ||
			!pmed_get_u64(r, &c->missing_count))
			return encoding_corrupt(r, enc, "truncated");
		if (c->kind > PMED_COL_MAX)
			return encoding_corrupt(r, enc, "unknown feature kind");
		if (c->from_strings > 1 || (c->from_strings && c->kind != PMED_COL_DATE))
			return encoding_corrupt(r, enc, "bad date flag");
		if (c->missing_count > enc->n_rows ||
			(c->kind == PMED_COL_EMPTY && c->missing_count != enc->n_rows))
			return encoding_corrupt(r, enc, "bad missing count");
		if (c->kind != PMED_COL_CATEGORY && c->kind != PMED_COL_CODES)
			continue;
		if (!pmed_get_count(r, PMED_ENC_MAX_DENSE, 12, &c->n_levels))
			return encoding_corrupt(r, enc, "truncated");
		if (c->kind == PMED_COL_CATEGORY && enc->mode == PMED_ENC_NATIVE &&
			c->n_levels > PMED_ENC_NATIVE_MAX_LEVELS)
			return encoding_corrupt(r, enc, "too many levels");
		c->levels = pmed_alloc_array(c->n_levels ? c->n_levels : 1, sizeof(char *));
		c->level_counts = pmed_alloc_array(c->n_levels ? c->n_levels : 1, sizeof(uint64_t));
		for (uint32_t k = 0; k < c->n_levels; k++)
		{
			uint32_t	llen;

			if (!get_text(r, PMED_ENC_MAX_LEVEL_BYTES, &c->levels[k], &llen) ||
				!pmed_get_u64(r, &c->level_counts[k]))
				return encoding_corrupt(r, enc, "truncated");
			if (k > 0 && cmp_bytes(c->levels[k - 1], strlen(c->levels[k - 1]), c->levels[k], llen) >= 0)
				return encoding_corrupt(r, enc, "levels out of order");
			if (c->level_counts[k] < enc->min_category_count || c->level_counts[k] > enc->n_rows)
				return encoding_corrupt(r, enc, "bad level count");
		}
		if (!pmed_get_u64(r, &c->other_count) || !pmed_get_u32(r, &c->n_pooled))
			return encoding_corrupt(r, enc, "truncated");
		if (c->other_count > enc->n_rows)
			return encoding_corrupt(r, enc, "bad other count");
	}
	if (!layout(enc))
		return encoding_corrupt(r, enc, "too many encoded features");
	if (!pmed_reader_done(r))
	{
		pmed_encoding_free(enc);
		return NULL;
	}
	return enc;
}
