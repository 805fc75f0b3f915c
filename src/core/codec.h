/*
 * codec.h - the model container and the byte-level encoding every model
 * family (and the training-state serializer) uses.
 *
 * Container layout, all integers little-endian:
 *
 *   offset  size  field
 *        0     4  magic "PMED"
 *        4     2  format version (PMED_FORMAT_VERSION)
 *        6     2  model kind (PmedModelKind)
 *        8     4  flags (no flag is defined yet: every bit must be zero)
 *       12     4  payload length in bytes
 *       16     4  CRC32C of bytes 0..15 followed by the payload
 *       20     -  payload: tagged sections, each u32 tag, u32 length, bytes
 *
 * Readers never trust a length: every read checks what is left first, and
 * floats are checked finite.
 */
#ifndef PMED_CODEC_H
#define PMED_CODEC_H

#include "pmed_core.h"

#define PMED_MAGIC				"PMED"
#define PMED_FORMAT_VERSION		1
#define PMED_HEADER_SIZE		20

typedef enum PmedModelKind
{
	PMED_KIND_BASELINE = 1,
	PMED_KIND_SVM = 2,
	PMED_KIND_FOREST = 3,
	PMED_KIND_CF = 4,
	PMED_KIND_CONTENT = 5,
	PMED_KIND_INTERACTIONS = 6,
	PMED_KIND_CNN = 7,
	PMED_KIND_RNN = 8,
	PMED_KIND_MAX = 8
} PmedModelKind;

/* Section tags: four ASCII characters read as a little-endian u32. */
#define PMED_TAG(a, b, c, d) \
	((uint32_t) (a) | ((uint32_t) (b) << 8) | ((uint32_t) (c) << 16) | ((uint32_t) (d) << 24))
#define PMED_TAG_SCHEMA		PMED_TAG('S', 'C', 'H', 'M')
#define PMED_TAG_META		PMED_TAG('M', 'E', 'T', 'A')
#define PMED_TAG_ALGO		PMED_TAG('A', 'L', 'G', 'O')

uint32_t	pmed_crc32c(uint32_t crc, const void *data, size_t len);

/* ---- writing ---- */

typedef struct PmedWriter
{
	uint8_t    *buf;
	size_t		len;
	size_t		cap;
} PmedWriter;

void		pmed_writer_init(PmedWriter *w);
void		pmed_put_bytes(PmedWriter *w, const void *data, size_t len);
void		pmed_put_u8(PmedWriter *w, uint8_t v);
void		pmed_put_u16(PmedWriter *w, uint16_t v);
void		pmed_put_u32(PmedWriter *w, uint32_t v);
void		pmed_put_u64(PmedWriter *w, uint64_t v);
void		pmed_put_i32(PmedWriter *w, int32_t v);
void		pmed_put_i64(PmedWriter *w, int64_t v);
void		pmed_put_f64(PmedWriter *w, double v);
void		pmed_put_f64_array(PmedWriter *w, const double *v, size_t n);
void		pmed_put_f32_array(PmedWriter *w, const float *v, size_t n);
/* u32 length then the bytes (no terminator). */
void		pmed_put_str(PmedWriter *w, const char *s);

/* Sections: begin returns a mark that end uses to fill in the length. */
size_t		pmed_begin_section(PmedWriter *w, uint32_t tag);
void		pmed_end_section(PmedWriter *w, size_t mark);

/* Container: begin writes a header placeholder, finish fills it in. */
void		pmed_container_begin(PmedWriter *w, PmedModelKind kind);
PmedStatus	pmed_container_finish(PmedWriter *w, PmedError *err);

/* ---- reading ---- */

typedef struct PmedReader
{
	const uint8_t *p;
	size_t		left;
	PmedError  *err;			/* where the first failure is recorded */
	bool		failed;			/* sticky: once set, every read fails */
} PmedReader;

void		pmed_reader_init(PmedReader *r, const void *data, size_t len, PmedError *err);
/* Mark the reader failed with a corrupt-model message; returns false. */
bool		pmed_reader_fail(PmedReader *r, const char *what);
bool		pmed_get_bytes(PmedReader *r, void *out, size_t len);
bool		pmed_get_u8(PmedReader *r, uint8_t *v);
bool		pmed_get_u16(PmedReader *r, uint16_t *v);
bool		pmed_get_u32(PmedReader *r, uint32_t *v);
bool		pmed_get_u64(PmedReader *r, uint64_t *v);
bool		pmed_get_i32(PmedReader *r, int32_t *v);
bool		pmed_get_i64(PmedReader *r, int64_t *v);
/* Fails on NaN or infinity. */
bool		pmed_get_f64(PmedReader *r, double *v);
/* Allocates n doubles (pmed_alloc) after checking n * 8 bytes are left. */
bool		pmed_get_f64_array(PmedReader *r, size_t n, double **out);
bool		pmed_get_f32_array(PmedReader *r, size_t n, float **out);
/* A u32 count whose elements take at least min_elem_bytes each: checked
 * against max and against what is left, so a huge count cannot allocate. */
bool		pmed_get_count(PmedReader *r, size_t max, size_t min_elem_bytes, uint32_t *n);
/* Allocated NUL-terminated copy; fails on embedded NUL bytes. */
bool		pmed_get_str(PmedReader *r, char **out);
/* Open a section with the given tag as a sub-reader and skip it here. */
bool		pmed_get_section(PmedReader *r, uint32_t tag, PmedReader *section);
/* True when everything was consumed; else fails with "trailing bytes". */
bool		pmed_reader_done(PmedReader *r);

typedef struct PmedContainer
{
	uint16_t	version;
	uint16_t	kind;
	uint32_t	flags;
	uint32_t	crc;
	PmedReader	payload;
} PmedContainer;

/*
 * Check magic, version, kind, flags, length and CRC32C.  On success the
 * payload reader covers exactly the payload.  Messages name what is wrong:
 * "truncated", "bad magic", "unsupported format version", "checksum mismatch".
 */
PmedStatus	pmed_container_open(const void *data, size_t len, PmedContainer *c, PmedError *err);

#endif
