/* options.h - one option table read from the command line, the environment
 * and a `key = value` file.
 *
 * A command describes each option once (rg_opt): its name (the long flag
 * and the file's key), its environment variable, its type and range, the
 * field it fills and its help.  rg_opts_* collect the three sources, then
 * apply for every option the values of the strongest source that names it:
 * flags > environment > file > the table's default.  A repeatable option
 * (RG_OPT_REPEAT) takes every value of that source, in order; options that
 * share a `group` count as one (--turn-secret and --turn-secret-file).
 *
 * Pure: the environment comes through a callback and the file as text; only
 * an RG_OPT_FN setter given by the table may touch files. */
#ifndef RG_CORE_OPTIONS_H
#define RG_CORE_OPTIONS_H

#include <stddef.h>

typedef enum {
    RG_OPT_STR,   /* const char *; the value is borrowed from argv, environ or the file text */
    RG_OPT_NUM,   /* a decimal in [min, max] into an int or a 64-bit field (width) */
    RG_OPT_TRUE,  /* a flag without value that sets an int to 1 */
    RG_OPT_FALSE, /* a flag without value (--no-x) that sets an int to 0 */
    RG_OPT_FN,    /* the value goes through set() */
} rg_opt_type;

enum {
    RG_OPT_REPEAT = 1,     /* every value counts; the environment's is comma-separated */
    RG_OPT_ENV_LAX = 2,    /* a bad environment value is ignored silently (the default holds) */
    RG_OPT_ENV_WARN = 4,   /* a bad environment value is ignored with a warning */
    RG_OPT_ENV_DOC = 8,    /* env is documented here but read by the command itself */
    RG_OPT_FLAG_ONLY = 16, /* no config file key (--config itself) */
};

/* Stores val (len bytes; val[len] is '\0' unless the item came from a
 * comma-separated list).  0, or -1 with *why set (never quoting val). */
typedef int (*rg_opt_set_fn)(void *cfg, const char *val, size_t len, const char **why);

typedef struct {
    const char *title; /* help and man page heading */
    const char *noun;  /* in messages: "a rate limit option" */
} rg_opt_section;

typedef struct {
    const char *name; /* --name, and the key in the config file */
    const char *env;  /* NULL: none */
    rg_opt_type type;
    unsigned flags;
    unsigned long long min, max; /* RG_OPT_NUM */
    size_t off;                  /* of the field in the command's config struct */
    size_t width;                /* sizeof the field: 4 (int) or 8 */
    const char *dflt;            /* text of the default, applied like a value; NULL: as is */
    const char *arg;             /* name of the value in the help; NULL for flags */
    const char *help;
    const rg_opt_section *section;
    rg_opt_set_fn set; /* RG_OPT_FN */
    const char *group; /* NULL: the option's own name */
} rg_opt;

#define RG_OPT_MAX_VALUES 256

typedef struct {
    unsigned short opt;
    unsigned char layer; /* RG_OPT_FROM_* */
    const char *val;
    int line; /* file line, for messages */
} rg_opt_value;

enum { RG_OPT_FROM_FILE = 1, RG_OPT_FROM_ENV, RG_OPT_FROM_FLAG };

typedef struct {
    const rg_opt *opts;
    size_t nopts;
    void *cfg;
    const char *(*getenv)(const char *name); /* NULL: no environment */
    void (*warn)(const char *msg);           /* NULL: silent */
    const char *file_name;                   /* for messages */
    int help;                                /* --help or -h was given */
    rg_opt_value vals[RG_OPT_MAX_VALUES];
    size_t nvals;
    char err[512]; /* why the last call failed; names the option, never a value */
} rg_opts;

/* Starts a parse of opts[0..nopts) into cfg. */
void rg_opts_init(rg_opts *p, const rg_opt *opts, size_t nopts, void *cfg);
/* The flags: --name VALUE, --name=VALUE, --flag, -h/--help; "--" ends
 * them; argv[0] is the command word.  0, or -1 with p->err set. */
int rg_opts_scan_argv(rg_opts *p, int argc, char **argv);
/* The last value the command line gave for name, or NULL. */
const char *rg_opts_flag(const rg_opts *p, const char *name);
/* A config file's text: `key = value` lines, '#' comments, blank lines.
 * Parsed in place (the values point into text, which must outlive cfg).
 * 0, or -1 with p->err naming the line and key. */
int rg_opts_scan_file(rg_opts *p, char *text, const char *name);
/* The environment, then every option's winning values (or its default)
 * into cfg.  0, or -1 with p->err set. */
int rg_opts_apply(rg_opts *p);

/* A decimal without sign, spaces or tail in [min, max] (what RG_OPT_NUM
 * takes): 0, or -1. */
int rg_opt_number(const char *s, unsigned long long min, unsigned long long max,
                  unsigned long long *out);
/* Finds an option by name; NULL when there is none. */
const rg_opt *rg_opts_find(const rg_opt *opts, size_t nopts, const char *name, size_t len);

#endif
