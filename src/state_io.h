/*
 * state_io.h - the text form of pmed's aggregate transition states.
 *
 * A state type's output function writes its flat bytes as canonical base64
 * (RFC 4648, padded, no whitespace); its input function takes only that
 * canonical form back.  Citus moves partial aggregate states between nodes
 * through exactly these two functions, and any user can call the input
 * function, so the decoder is a trust boundary: the caller validates the
 * decoded bytes field by field.
 */
#ifndef PMED_STATE_IO_H
#define PMED_STATE_IO_H

#include "postgres.h"
#include "utils/memutils.h"

/* Largest flat state whose text form still fits in one palloc (1 GB). */
#define PMED_STATE_TEXT_MAX_BYTES	((Size) (MaxAllocSize / 4) * 3 - 4)

/*
 * The text form of len flat bytes, a palloc'd cstring.  ERROR 54000 when the
 * text would pass 1 GB; type_name names the type in the message.
 */
extern char *pmed_state_to_text(const char *bytes, Size len, const char *type_name);

/*
 * The bytes behind a text form, palloc'd, length in *len.  ERROR 22P02 for
 * anything but canonical base64 (wrong characters, whitespace, bad padding,
 * non-zero trailing bits): one value has exactly one text form.
 */
extern char *pmed_state_from_text(const char *text, Size *len, const char *type_name);

#endif
