// The functions are inline in include/CMalloc.h; SwiftPM wants one source file per C target.
#include "CMalloc.h"
