/*
 * Preloaded beside the ASan runtime into an uninstrumented postgres: ASan's
 * lazy initialisation looks this symbol up with dlsym() and, when it is
 * missing, calls dlerror(), which deadlocks glibc's gettext lock if ASan
 * initialises inside bindtextdomain() (test/lib.sh, sanitizer_env).  ASan
 * calls it only to demangle Swift names: there are none, so it returns NULL.
 */
#include <stddef.h>

char	   *swift_demangle(const char *mangled, size_t mangled_len, char *out,
						   size_t *out_len, unsigned flags);

char *
swift_demangle(const char *mangled, size_t mangled_len, char *out,
			   size_t *out_len, unsigned flags)
{
	return NULL;
}
