/*
 * yaml_strict.c — a YAML reader that rejects what lenient readers let pass: a key written twice
 * in one mapping (a lenient reader silently keeps one of the values). Reads each file named on
 * the command line with libyaml's event parser, keeps the keys of every open mapping, and prints
 * `FILE:LINE:COL: duplicate key 'K'` (or the parser's own error) for each problem found. Only
 * scalar keys are compared; aliases and complex keys are accepted as they are.
 * Usage: yaml_strict FILE...   Exit status 0 when every file is valid and free of duplicates.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* One open collection: a mapping records its keys and whether the next node is a key. */
struct strict_level {
    bool   mapping;
    bool   expect_key;
    char **keys;
    size_t n_keys;
    size_t cap_keys;
};

static void strict_level_free(struct strict_level *l) {
    for (size_t i = 0; i < l->n_keys; i++)
        free(l->keys[i]);
    free(l->keys);
    memset(l, 0, sizeof *l);
}

/* Records key k in mapping l; returns false when l already had it. */
static bool strict_add_key(struct strict_level *l, const char *k) {
    for (size_t i = 0; i < l->n_keys; i++)
        if (strcmp(l->keys[i], k) == 0) return false;
    if (l->n_keys == l->cap_keys) {
        size_t cap  = l->cap_keys ? 2 * l->cap_keys : 16;
        char **keys = realloc(l->keys, cap * sizeof *keys);
        if (keys == NULL) {
            fprintf(stderr, "yaml_strict: out of memory\n");
            exit(1);
        }
        l->keys = keys, l->cap_keys = cap;
    }
    size_t len         = strlen(k) + 1;
    l->keys[l->n_keys] = malloc(len);
    if (l->keys[l->n_keys] == NULL) {
        fprintf(stderr, "yaml_strict: out of memory\n");
        exit(1);
    }
    memcpy(l->keys[l->n_keys], k, len);
    l->n_keys++;
    return true;
}

/* A node ends its turn in the innermost collection: in a mapping, keys and values alternate. */
static void strict_node_seen(struct strict_level *stack, size_t depth) {
    if (depth > 0 && stack[depth - 1].mapping)
        stack[depth - 1].expect_key = !stack[depth - 1].expect_key;
}

/* Checks one file; returns the number of problems found (a parse error counts one). */
static int strict_check_file(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, fp);
    enum { MAX_DEPTH = 64 };
    struct strict_level stack[MAX_DEPTH];
    memset(stack, 0, sizeof stack);
    size_t depth    = 0;
    int    problems = 0;
    bool   done     = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            fprintf(stderr, "%s:%zu:%zu: %s\n", path, parser.problem_mark.line + 1,
                    parser.problem_mark.column + 1,
                    parser.problem ? parser.problem : "parse error");
            problems++;
            break;
        }
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            if (depth > 0 && stack[depth - 1].mapping && stack[depth - 1].expect_key &&
                !strict_add_key(&stack[depth - 1], (const char *)ev.data.scalar.value)) {
                fprintf(stderr, "%s:%zu:%zu: duplicate key '%s'\n", path, ev.start_mark.line + 1,
                        ev.start_mark.column + 1, (const char *)ev.data.scalar.value);
                problems++;
            }
            strict_node_seen(stack, depth);
            break;
        case YAML_ALIAS_EVENT: strict_node_seen(stack, depth); break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            strict_node_seen(stack, depth);
            if (depth == MAX_DEPTH) {
                fprintf(stderr, "%s:%zu:%zu: nested deeper than %d\n", path, ev.start_mark.line + 1,
                        ev.start_mark.column + 1, MAX_DEPTH);
                problems++;
                done = true;
                break;
            }
            stack[depth].mapping    = ev.type == YAML_MAPPING_START_EVENT;
            stack[depth].expect_key = true; /* each node flips it: key, value, key ... */
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (depth > 0) strict_level_free(&stack[--depth]);
            break;
        case YAML_STREAM_END_EVENT: done = true; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    while (depth > 0)
        strict_level_free(&stack[--depth]);
    yaml_parser_delete(&parser);
    fclose(fp);
    return problems;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: yaml_strict FILE...\n");
        return 2;
    }
    int problems = 0;
    for (int i = 1; i < argc; i++)
        problems += strict_check_file(argv[i]);
    return problems == 0 ? 0 : 1;
}
