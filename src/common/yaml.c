/*
 * yaml.c — loading YAML documents with positions (libyaml's document API) and writing YAML
 * through libyaml's emitter into a memory buffer. Schema checks belong to the callers; this
 * file only turns libyaml's marks and events into scalefit's errors and calls.
 */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum sf_status sf_yaml_load(const char *path, yaml_document_t *doc, struct sf_error *err) {
    char          *text;
    size_t         len;
    enum sf_status st = sf_read_file(path, &text, &len, err);
    if (st != SF_OK) return st;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(text);
        SF_FAIL(err, SF_ENOMEM, "cannot start the YAML parser");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int ok = yaml_parser_load(&parser, doc);
    if (!ok) {
        char where[1200];
        sf_where(where, sizeof where, path, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1);
        st = sf_error_set(err, SF_EINVAL, where, __FILE__, __LINE__, "YAML syntax: %s%s%s",
                          parser.problem ? parser.problem : "unreadable document",
                          parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        free(text);
        return st;
    }
    yaml_parser_delete(&parser);
    free(text);
    if (yaml_document_get_root_node(doc) == NULL) {
        yaml_document_delete(doc);
        SF_FAIL_AT(err, SF_EINVAL, path, "empty YAML document");
    }
    return SF_OK;
}

void sf_yaml_where(char *buf, size_t n, const char *path, const yaml_node_t *node) {
    sf_where(buf, n, path, node->start_mark.line + 1, node->start_mark.column + 1);
}

const char *sf_yaml_scalar(const yaml_node_t *node) {
    if (node == NULL || node->type != YAML_SCALAR_NODE) return NULL;
    return (const char *)node->data.scalar.value;
}

yaml_node_t *sf_yaml_map_get(yaml_document_t *doc, const yaml_node_t *map, const char *key) {
    if (map == NULL || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = sf_yaml_scalar(yaml_document_get_node(doc, p->key));
        if (k != NULL && strcmp(k, key) == 0) return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

bool sf_yaml_is_null(const yaml_node_t *node) {
    if (node == NULL || node->type != YAML_SCALAR_NODE) return false;
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
    const char *s = (const char *)node->data.scalar.value;
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

// ---- emitting ----

static int sf_yaml_write_impl(void *data, unsigned char *buffer, size_t size) {
    struct sf_buf *b = data;
    sf_buf_append(b, (const char *)buffer, size);
    return !b->failed;
}

static void sf_yaml_emit_impl(struct sf_yaml_out *y, yaml_event_t *ev) {
    if (y->failed) {
        yaml_event_delete(ev);
        return;
    }
    if (!yaml_emitter_emit(&y->emitter, ev)) y->failed = true;
}

void sf_yaml_out_init(struct sf_yaml_out *y) {
    memset(y, 0, sizeof *y);
    sf_buf_init(&y->text);
    if (!yaml_emitter_initialize(&y->emitter)) {
        y->failed = true;
        return;
    }
    yaml_emitter_set_output(&y->emitter, sf_yaml_write_impl, &y->text);
    yaml_emitter_set_unicode(&y->emitter, 1);
    yaml_emitter_set_width(&y->emitter, 100);
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    sf_yaml_emit_impl(y, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    sf_yaml_emit_impl(y, &ev);
}

void sf_yaml_map_begin(struct sf_yaml_out *y, bool flow) {
    yaml_event_t ev;
    bool         f = flow || y->flow_depth > 0;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                        f ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    if (f) y->flow_depth++;
    sf_yaml_emit_impl(y, &ev);
}

void sf_yaml_map_end(struct sf_yaml_out *y) {
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    if (y->flow_depth > 0) y->flow_depth--;
    sf_yaml_emit_impl(y, &ev);
}

void sf_yaml_seq_begin(struct sf_yaml_out *y, bool flow) {
    yaml_event_t ev;
    bool         f = flow || y->flow_depth > 0;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                         f ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    if (f) y->flow_depth++;
    sf_yaml_emit_impl(y, &ev);
}

void sf_yaml_seq_end(struct sf_yaml_out *y) {
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    if (y->flow_depth > 0) y->flow_depth--;
    sf_yaml_emit_impl(y, &ev);
}

static void sf_yaml_scalar_impl(struct sf_yaml_out *y, const char *s, bool plain) {
    yaml_event_t ev;
    /* Strings that read back as strings may be written plain; sf_yaml_str quotes the rest. */
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, !plain,
                                      plain ? YAML_PLAIN_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)) {
        y->failed = true;
        return;
    }
    sf_yaml_emit_impl(y, &ev);
}

void sf_yaml_str(struct sf_yaml_out *y, const char *s) {
    if (s == NULL) {
        sf_yaml_null(y);
        return;
    }
    /* A string that would read back as another type (a number, true, null) is quoted. */
    double d;
    bool   ambiguous = sf_parse_double(s, &d) || s[0] == '\0' || strcmp(s, "true") == 0 ||
                     strcmp(s, "false") == 0 || strcmp(s, "null") == 0 || strcmp(s, "~") == 0 ||
                     strcmp(s, "yes") == 0 || strcmp(s, "no") == 0;
    if (ambiguous) {
        yaml_event_t ev;
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 0, 1,
                                          YAML_DOUBLE_QUOTED_SCALAR_STYLE)) {
            y->failed = true;
            return;
        }
        sf_yaml_emit_impl(y, &ev);
        return;
    }
    sf_yaml_scalar_impl(y, s, false);
}

void sf_yaml_plain(struct sf_yaml_out *y, const char *s) {
    sf_yaml_scalar_impl(y, s, true);
}

void sf_yaml_literal(struct sf_yaml_out *y, const char *s) {
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 0, 1,
                                      YAML_LITERAL_SCALAR_STYLE)) {
        y->failed = true;
        return;
    }
    sf_yaml_emit_impl(y, &ev);
}

void sf_yaml_double(struct sf_yaml_out *y, double v) {
    char buf[SF_FMT_DOUBLE_LEN];
    if (isnan(v))
        sf_yaml_plain(y, ".nan");
    else if (isinf(v))
        sf_yaml_plain(y, v > 0 ? ".inf" : "-.inf");
    else
        sf_yaml_plain(y, sf_fmt_double(buf, sizeof buf, v));
}

void sf_yaml_int(struct sf_yaml_out *y, long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    sf_yaml_plain(y, buf);
}

void sf_yaml_bool(struct sf_yaml_out *y, bool v) {
    sf_yaml_plain(y, v ? "true" : "false");
}

void sf_yaml_null(struct sf_yaml_out *y) {
    sf_yaml_plain(y, "null");
}

void sf_yaml_kv_str(struct sf_yaml_out *y, const char *key, const char *value) {
    sf_yaml_plain(y, key);
    sf_yaml_str(y, value);
}

void sf_yaml_kv_double(struct sf_yaml_out *y, const char *key, double value) {
    sf_yaml_plain(y, key);
    sf_yaml_double(y, value);
}

void sf_yaml_kv_int(struct sf_yaml_out *y, const char *key, long long value) {
    sf_yaml_plain(y, key);
    sf_yaml_int(y, value);
}

void sf_yaml_kv_bool(struct sf_yaml_out *y, const char *key, bool value) {
    sf_yaml_plain(y, key);
    sf_yaml_bool(y, value);
}

enum sf_status sf_yaml_out_finish(struct sf_yaml_out *y, char **text, struct sf_error *err) {
    *text = NULL;
    yaml_event_t ev;
    yaml_document_end_event_initialize(&ev, 1);
    sf_yaml_emit_impl(y, &ev);
    yaml_stream_end_event_initialize(&ev);
    sf_yaml_emit_impl(y, &ev);
    if (!y->failed && !yaml_emitter_flush(&y->emitter)) y->failed = true;
    if (y->failed || y->text.failed)
        SF_FAIL(err, SF_ERUNTIME, "YAML emitter failed: %s",
                y->emitter.problem ? y->emitter.problem : "out of memory");
    *text = sf_buf_take(&y->text);
    if (*text == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory writing YAML");
    return SF_OK;
}

void sf_yaml_out_free(struct sf_yaml_out *y) {
    yaml_emitter_delete(&y->emitter);
    sf_buf_free(&y->text);
}
