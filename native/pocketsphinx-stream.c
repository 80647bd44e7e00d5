/*
 * Streaming front end for libpocketsphinx 0.8 (Debian 0.8+5prealpha), written for Parley.
 *
 * Why it exists: Debian's pocketsphinx_continuous only prints an utterance once it has ended, so
 * a caller sees nothing while speaking, and it insists on opening its input by name (hence the
 * FIFO around it). This program reads raw PCM16LE mono from stdin, whatever kind of file stdin
 * is, splits utterances with the decoder's own VAD exactly as pocketsphinx_continuous does, and
 * prints one JSON object per line on stdout, flushed at once:
 *
 *   {"type":"partial","text":"...","words":[...]}   while an utterance is in progress, when the
 *                                                     hypothesis changed, at most every -partial_ms
 *   {"type":"final","text":"...","words":[...]}     when the VAD (or end of input) ends it
 *   {"type":"ready"}                                 once, after the models are loaded
 *
 * where each word is {"word":"...","startMs":N,"endMs":N,"confidence":X}: the decoder's segments
 * as they are, fillers (<s>, <sil>, [NOISE]) and pronunciation variants ("word(2)") included, so
 * the reader applies one policy for both decoders. Times count every sample read from stdin.
 *
 * Arguments are pocketsphinx's own (-hmm, -lm, -dict, -jsgf, -kws, -samprate, -vad_*, ...),
 * parsed by sphinxbase like pocketsphinx_continuous does; -time and -infile are accepted for
 * compatibility and ignored. Extra: -partial_ms (default 100; 0 turns partials off).
 *
 * Input is audio only: any bytes are samples, an odd byte at end of input is dropped.
 * Exit status: 0 at end of input, 1 when the decoder cannot start, 2 on a decoding error.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pocketsphinx.h>
#include <sphinxbase/cmd_ln.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>

static const arg_t stream_args[] = {
    POCKETSPHINX_OPTIONS,
    {"-argfile", ARG_STRING, NULL, "Argument file giving extra arguments."},
    {"-infile", ARG_STRING, NULL, "Ignored: audio is always read from stdin."},
    {"-time", ARG_BOOLEAN, "no", "Ignored: word times are always printed."},
    {"-partial_ms", ARG_INT32, "100", "Least audio (ms) between two partial results; 0 for none."},
    CMDLN_EMPTY_OPTION
};

/* 4096 samples: large enough to keep calls few, small enough (256 ms) that an utterance's end is
 * seen soon after the audio that ends it has arrived. read() returns what is there, so a slow
 * writer is decoded as it writes. */
#define READ_SAMPLES 4096

typedef struct {
    ps_decoder_t *ps;
    logmath_t *lmath;
    int32 frame_rate;
    int32 partial_samples;
    int32 sample_rate;
    char *last_partial;
    size_t last_partial_size;
} stream_t;

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_words(stream_t *st)
{
    ps_seg_t *seg;
    int first = 1;
    printf(",\"words\":[");
    for (seg = ps_seg_iter(st->ps); seg != NULL; seg = ps_seg_next(seg)) {
        int sf, ef;
        int32 prob;
        double conf;
        const char *word = ps_seg_word(seg);
        if (word == NULL)
            continue;
        ps_seg_frames(seg, &sf, &ef);
        prob = ps_seg_prob(seg, NULL, NULL, NULL);
        conf = logmath_exp(st->lmath, prob);
        if (!(conf >= 0.0))
            conf = 0.0;
        if (conf > 1.0)
            conf = 1.0;
        printf("%s{\"word\":", first ? "" : ",");
        print_json_string(word);
        printf(",\"startMs\":%ld,\"endMs\":%ld,\"confidence\":%.4f}",
               (long)sf * 1000 / st->frame_rate, (long)(ef + 1) * 1000 / st->frame_rate, conf);
        first = 0;
    }
    printf("]");
}

static void print_event(stream_t *st, const char *type, const char *hyp)
{
    printf("{\"type\":\"%s\",\"text\":", type);
    print_json_string(hyp ? hyp : "");
    print_words(st);
    printf("}\n");
    fflush(stdout);
}

/* A partial is printed only when it says something new. */
static void maybe_partial(stream_t *st)
{
    const char *hyp = ps_get_hyp(st->ps, NULL);
    size_t len;
    if (hyp == NULL || *hyp == '\0')
        return;
    if (st->last_partial && strcmp(st->last_partial, hyp) == 0)
        return;
    len = strlen(hyp) + 1;
    if (len > st->last_partial_size) {
        char *grown = realloc(st->last_partial, len);
        if (grown == NULL)
            return;
        st->last_partial = grown;
        st->last_partial_size = len;
    }
    memcpy(st->last_partial, hyp, len);
    print_event(st, "partial", hyp);
}

static void end_utterance(stream_t *st)
{
    ps_end_utt(st->ps);
    print_event(st, "final", ps_get_hyp(st->ps, NULL));
    if (st->last_partial)
        st->last_partial[0] = '\0';
}

/* Reads until end of input; returns 0, or 2 when the decoder fails. */
static int decode_stdin(stream_t *st)
{
    unsigned char bytes[READ_SAMPLES * 2 + 1];
    int16 samples[READ_SAMPLES];
    size_t carried = 0;
    uint8 utt_started = FALSE;
    long since_partial = 0;

    if (ps_start_utt(st->ps) < 0)
        return 2;
    for (;;) {
        ssize_t got = read(STDIN_FILENO, bytes + carried, sizeof(bytes) - 1 - carried);
        size_t total, n, i;
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* stdin was left non-blocking by whoever made it: wait instead of spinning. */
            struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
            poll(&pfd, 1, -1);
            continue;
        }
        if (got <= 0)
            break;
        total = carried + (size_t)got;
        n = total / 2;
        /* Little endian whatever the host is. */
        for (i = 0; i < n; i++)
            samples[i] = (int16)(bytes[2 * i] | (bytes[2 * i + 1] << 8));
        carried = total % 2;
        if (carried)
            bytes[0] = bytes[total - 1];
        if (n == 0)
            continue;
        if (ps_process_raw(st->ps, samples, n, FALSE, FALSE) < 0)
            return 2;
        if (ps_get_in_speech(st->ps)) {
            if (!utt_started) {
                utt_started = TRUE;
                since_partial = 0;
            }
            since_partial += (long)n;
            if (st->partial_samples > 0 && since_partial >= st->partial_samples) {
                since_partial = 0;
                maybe_partial(st);
            }
        } else if (utt_started) {
            end_utterance(st);
            utt_started = FALSE;
            if (ps_start_utt(st->ps) < 0)
                return 2;
        }
    }
    /* End of input finishes the utterance in progress; a pending odd byte is not a sample. */
    if (utt_started)
        end_utterance(st);
    else
        ps_end_utt(st->ps);
    return 0;
}

int main(int argc, char *argv[])
{
    cmd_ln_t *config;
    stream_t st;
    int status;

    memset(&st, 0, sizeof(st));
    config = cmd_ln_parse_r(NULL, stream_args, argc, argv, TRUE);
    if (config && cmd_ln_str_r(config, "-argfile"))
        config = cmd_ln_parse_file_r(config, stream_args, cmd_ln_str_r(config, "-argfile"), FALSE);
    if (config == NULL) {
        fprintf(stderr, "ERROR: pocketsphinx-stream: bad arguments\n");
        return 1;
    }
    ps_default_search_args(config);
    st.ps = ps_init(config);
    if (st.ps == NULL) {
        fprintf(stderr, "ERROR: pocketsphinx-stream: the decoder could not be initialised\n");
        cmd_ln_free_r(config);
        return 1;
    }
    st.lmath = ps_get_logmath(st.ps);
    st.frame_rate = cmd_ln_int32_r(config, "-frate");
    st.sample_rate = (int32)cmd_ln_float32_r(config, "-samprate");
    if (st.frame_rate <= 0)
        st.frame_rate = 100;
    st.partial_samples = (int32)((long)cmd_ln_int32_r(config, "-partial_ms") * st.sample_rate / 1000);
    printf("{\"type\":\"ready\"}\n");
    fflush(stdout);

    status = decode_stdin(&st);
    if (status != 0)
        fprintf(stderr, "ERROR: pocketsphinx-stream: decoding failed\n");
    free(st.last_partial);
    ps_free(st.ps);
    cmd_ln_free_r(config);
    return status;
}
