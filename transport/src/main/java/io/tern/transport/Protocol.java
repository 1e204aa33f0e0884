/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/**
 * tern's line protocol, the one description that the broker, the transport and the loadgen all use (README, "The
 * protocol"): separators, the name rule, every line the broker sends, and the largest line it can send.
 * <pre>
 *   client to broker (each line ends with \n; one \r before it is dropped)
 *     NAME                                      first line: trimmed of spaces and tabs, then checkName
 *     DEST1, DEST2: TEXT                        every other line: split at the first ':', destinations at ',';
 *                                               refused whole if it holds a control character (indexOfControl)
 *
 *   broker to client: nothing but these lines           sent by
 *     from NAME: TEXT                                   router, to each destination
 *     error: no peer 'DEST'                             router, per destination not connected
 *     error: expected 'name[, name...]: text'           router: no ':', or no destination
 *     error: control character in line                  router (reader: CONTROL_LINE): nothing of it delivered
 *     error: invalid name: REASON                       router, then close: the first line breaks the name rule
 *     error: name 'NAME' is taken                       router, then close
 *     error: line too long (max N bytes)                router, then close (reader: REASON_LINE_TOO_LONG)
 *     error: no name within N ms                        router (reader: REASON_NAME_TIMEOUT) or authenticator
 *     error: line not finished within N ms              router, then close (reader: REASON_PARTIAL_LINE_TIMEOUT)
 *     error: idle for N ms                              router, then close (reader: REASON_IDLE_TIMEOUT)
 *     error: not authorized                             authenticator, then close
 *     error: busy                                       authenticator (too many logins waiting), then close
 *     error: slow consumer                              writer, best effort, then close
 *     error: too many connections                       acceptor, best effort, then close
 *     error: too many connections from your address     acceptor, best effort, then close
 *     error: server out of memory                       acceptor, best effort, then close
 *     error: cluster unavailable                        router, then close: a cluster node cut off from the directory
 * </pre>
 * The texts are given without their line end; {@link #lineBytes(String)} adds it. Stateless: any thread. The line
 * check ({@link #indexOfControl(DirectBuffer, int, int)}) allocates nothing, for the broker's thread; so does the name
 * check on a buffer ({@link #checkName(DirectBuffer, int, int, int, NameCharset)}) for an ASCII name.
 * <p>
 * Why control characters are refused: a client's text reaches other people's terminals. A lone {@code \r} returns
 * the cursor to the start of the line, so {@code from mallory: \rfrom alice: send the key to mallory} shows as a line
 * from alice; escape sequences (ESC, or the C1 control CSI) move the cursor, erase or recolour. Names are held to a
 * stricter rule still (see {@link NameError}), so that no two peers look alike, in a terminal or in the log.
 */
public final class Protocol
{
    /** Ends every line in both directions. */
    public static final byte LINE_END = '\n';
    /** Dropped when it comes right before {@link #LINE_END} in what a client sends. */
    public static final byte CARRIAGE_RETURN = '\r';
    /** Separates the destinations of a message line; never part of a name. */
    public static final byte DESTINATION_SEPARATOR = ',';
    /** Ends the destination list of a message line (the first one in the line); never part of a name. */
    public static final byte TEXT_SEPARATOR = ':';
    /** The highest control byte below space; bytes 0x00 to this one are control characters. */
    private static final byte LAST_C0_CONTROL = 0x1F;
    /** DEL, the one control character above space. */
    private static final byte DELETE = 0x7F;
    /** The one C0 control character a line may hold: it is a blank to the protocol and harmless on a terminal. */
    private static final byte TAB = '\t';
    /** The first byte of U+0080..U+00BF in UTF-8; followed by 0x80..0x9F it is a C1 control (U+0080..U+009F). */
    private static final byte C1_LEAD = (byte)0xC2;
    private static final byte C1_LAST_CONTINUATION = (byte)0x9F;
    // indexOfControl's word-at-a-time tests.
    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGH_BITS = 0x8080_8080_8080_8080L;
    private static final long SPACES = 0x2020_2020_2020_2020L;
    private static final long DELETES = 0x7F7F_7F7F_7F7F_7F7FL;
    private static final long C1_LEADS = 0xC2C2_C2C2_C2C2_C2C2L;
    private static final long TABS = 0x0909_0909_0909_0909L;
    private static final long LOW_SEVEN_BITS = 0x7F7F_7F7F_7F7F_7F7FL;
    /** Added to a byte's low seven bits, carries into its high bit exactly when they are 0x20 or more. */
    private static final long BELOW_SPACE_CARRY = 0x6060_6060_6060_6060L;

    /**
     * The broker's default for {@code --max-name-bytes}; a client that cannot ask the broker (the loadgen) keeps its
     * names within it.
     */
    public static final int DEFAULT_MAX_NAME_BYTES = 64;

    /** What every delivered message starts with, before the sender's name. */
    public static final String FROM_PREFIX = "from ";
    /** Between the sender's name and the text of a delivered message. */
    public static final String FROM_SEPARATOR = ": ";

    /** What every error line starts with. */
    public static final String ERROR_PREFIX = "error: ";
    /** A destination that is not connected: this, the destination as sent (trimmed), {@link #NO_PEER_SUFFIX}. */
    public static final String NO_PEER_PREFIX = "error: no peer '";
    /** Ends an {@link #NO_PEER_PREFIX} line. */
    public static final String NO_PEER_SUFFIX = "'";
    /** A name already held by a connected peer: this, the name, {@link #NAME_TAKEN_SUFFIX}. */
    public static final String NAME_TAKEN_PREFIX = "error: name '";
    /** Ends a {@link #NAME_TAKEN_PREFIX} line. */
    public static final String NAME_TAKEN_SUFFIX = "' is taken";
    /** A first line that breaks the name rule: this, then the {@link NameError#reason(int) reason}. */
    public static final String INVALID_NAME_PREFIX = "error: invalid name: ";
    /** A line that is not {@code dest1, dest2: text}. */
    public static final String BAD_LINE = "error: expected 'name[, name...]: text'";
    /**
     * A line holding a control character ({@link #indexOfControl(DirectBuffer, int, int)}): nothing of it is
     * delivered; the connection stays open.
     */
    public static final String CONTROL_IN_LINE = "error: control character in line";
    /** The peer did not read fast enough; its backlog was discarded. */
    public static final String SLOW_CONSUMER = "error: slow consumer";
    /** Refused on accept: {@code --max-connections} are open. */
    public static final String TOO_MANY_CONNECTIONS = "error: too many connections";
    /** Refused on accept: {@code --max-connections-per-address} are open from the client's address. */
    public static final String TOO_MANY_FROM_ADDRESS = "error: too many connections from your address";
    /** Refused on accept: no memory for the connection's buffers. */
    public static final String SERVER_OUT_OF_MEMORY = "error: server out of memory";
    /** Authentication is on and the first line is not a known {@code name secret}. */
    public static final String NOT_AUTHORIZED = "error: not authorized";
    /** Authentication is on and too many logins already wait for a credentials check: try again later. */
    public static final String BUSY = "error: busy";
    /**
     * In a cluster, a node that cannot reach the name directory admits no name, and drops its peers before the
     * directory could give their names to someone else.
     */
    public static final String CLUSTER_UNAVAILABLE = "error: cluster unavailable";
    private static final String TOO_MANY_DESTINATIONS_PREFIX = "error: too many destinations (max ";
    private static final String TOO_MANY_DESTINATIONS_SUFFIX = ")";
    private static final String LINE_TOO_LONG_PREFIX = "error: line too long (max ";
    private static final String LINE_TOO_LONG_SUFFIX = " bytes)";
    /** {@link #nameTimeout(long)}'s text before and after the number of milliseconds. */
    public static final String NAME_TIMEOUT_PREFIX = "error: no name within ";
    public static final String NAME_TIMEOUT_SUFFIX = " ms";
    private static final String PARTIAL_LINE_TIMEOUT_PREFIX = "error: line not finished within ";
    private static final String IDLE_TIMEOUT_PREFIX = "error: idle for ";

    /**
     * Why a name breaks the rule: 1 to max-name-bytes bytes, none of them {@code ,} {@code :} or a control character
     * (0x00-0x1F and 0x7F), once trimmed of spaces and tabs. Spaces inside a name are allowed. Beyond ASCII (with
     * {@link NameCharset#UNICODE}): valid UTF-8, in Unicode normalization form NFC, no whitespace but the plain space,
     * no invisible, formatting or bidi-control character (NBSP, BOM/ZWNBSP, ZWSP/ZWJ/ZWNJ, U+2028/9, LRO/RLO, ...),
     * no unassigned or private-use code point, and no Latin letter together with a Cyrillic or Greek one. So no two
     * names differ only in what a reader cannot see.
     */
    public enum NameError
    {
        /** Nothing left once trimmed. */
        EMPTY("empty"),
        /** Longer than max-name-bytes. */
        TOO_LONG(null),
        /**
         * Starts or ends with a space or tab. Only the {@link Protocol#checkName(String, int)} form reports this: the
         * broker trims the first line before checking, so such a name would be registered without them.
         */
        UNTRIMMED("starts or ends with a space or tab"),
        /** Holds {@link Protocol#DESTINATION_SEPARATOR}. */
        COMMA("contains ','"),
        /** Holds {@link Protocol#TEXT_SEPARATOR}. */
        COLON("contains ':'"),
        /** Holds a byte 0x00-0x1F or 0x7F, or a C1 control character (U+0080..U+009F). */
        CONTROL("contains a control character"),
        /** A byte above 0x7E while the broker runs with {@link NameCharset#ASCII}. */
        NOT_ASCII("not printable ASCII"),
        /** Not valid UTF-8 (a stray or missing continuation byte, an overlong form, a surrogate). */
        INVALID_UTF8("not valid UTF-8"),
        /** Not in Unicode normalization form NFC: {@code e} and a combining accent, not {@code \u00e9}. */
        NOT_NFC("not in Unicode normalization form NFC"),
        /** Whitespace other than the plain space: NBSP, the other Unicode spaces, U+2028, U+2029. */
        WHITESPACE("contains whitespace other than a plain space"),
        /** A formatting character (BOM/ZWNBSP, ZWSP, ZWJ, bidi controls such as RLO) or another invisible one. */
        INVISIBLE("contains an invisible or bidi-control character"),
        /** A code point this broker's Unicode version does not assign, or a private-use one: shown as anything. */
        UNASSIGNED("contains an unassigned or private-use character"),
        /** Latin letters together with Cyrillic or Greek ones, such as a Cyrillic {@code \u0430} in a Latin name. */
        MIXED_SCRIPT("mixes Latin letters with Cyrillic or Greek ones");

        private final String reason;

        NameError(final String reason)
        {
            this.reason = reason;
        }

        /**
         * @param maxNameBytes the limit the name was checked against.
         * @return the reason as the broker words it after {@link Protocol#INVALID_NAME_PREFIX}.
         */
        public String reason(final int maxNameBytes)
        {
            return null == reason ? "longer than " + maxNameBytes + " bytes" : reason;
        }
    }

    /**
     * Which characters a name may use ({@code --name-charset}). Both refuse what {@link NameError} lists; they differ
     * beyond ASCII.
     */
    public enum NameCharset
    {
        /** Printable ASCII only (0x20-0x7E): no name can look like another beyond what ASCII allows (l/I, 0/O). */
        ASCII,
        /**
         * Any script, under the rules of {@link NameError}: names differ in what a reader sees, except across whole
         * scripts (an all-Cyrillic name can look like an all-Latin one; use {@link #ASCII} where that matters).
         */
        UNICODE
    }

    private Protocol()
    {
    }

    /**
     * @param b a byte of a line.
     * @return true for the blanks the protocol trims around names, destinations and text: space and tab.
     */
    public static boolean isBlank(final byte b)
    {
        return b == ' ' || b == '\t';
    }

    /**
     * @param buffer holding the bytes.
     * @param start  first index.
     * @param end    index after the last.
     * @return the index of the first non-blank byte in [start, end), or end.
     */
    public static int skipBlanks(final DirectBuffer buffer, final int start, final int end)
    {
        int i = start;
        while (i < end && isBlank(buffer.getByte(i)))
        {
            i++;
        }
        return i;
    }

    /**
     * @param buffer holding the bytes.
     * @param start  first index.
     * @param end    index after the last.
     * @return the index after the last non-blank byte in [start, end), or start.
     */
    public static int trimBlanksEnd(final DirectBuffer buffer, final int start, final int end)
    {
        int i = end;
        while (i > start && isBlank(buffer.getByte(i - 1)))
        {
            i--;
        }
        return i;
    }

    /**
     * Where a line holds a control character, which the broker refuses in any line after the name: a C0 control other
     * than tab (a lone {@code \r} included: the reader has already dropped the one before the line end), DEL, or a C1
     * control in UTF-8 ({@code C2 80}..{@code C2 9F}, U+0080..U+009F, which terminals obey as they do ESC). Other
     * bytes above 0x7F pass: the protocol's text is bytes (docs/protocol.md rule 1).
     * <p>
     * On the broker's hot path, once per line: sixteen bytes a step, read straight from memory after one bounds check
     * (as the reader's newline scan does), with a quick test that is exact for "only printable ASCII in these words",
     * so clean ASCII text costs a few operations per eight bytes. A word it flags (a tab, a byte above 0x7F, a
     * suspect) gets an exact test; only a word holding a control character or 0xC2 is looked at byte by byte.
     * Allocates nothing.
     *
     * @param buffer holding the line.
     * @param start  index of its first byte.
     * @param end    index after its last byte (the line end and a {@code \r} before it excluded).
     * @return the index of the first control character's first byte, or -1 if there is none.
     */
    public static int indexOfControl(final DirectBuffer buffer, final int start, final int end)
    {
        buffer.boundsCheck(start, end - start); // once, so the loads below need none
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset();
        int i = start;
        for (final int last = end - 2 * Long.BYTES; i <= last; i += 2 * Long.BYTES)
        {
            final long word1 = UnsafeApi.getLongUnaligned(array, address + i);
            final long word2 = UnsafeApi.getLongUnaligned(array, address + i + Long.BYTES);
            if (0 != ((maySuspect(word1) | maySuspect(word2)) & HIGH_BITS))
            {
                final int found = indexOfControlInSuspects(buffer, i, word1, word2, end);
                if (found >= 0)
                {
                    return found;
                }
            }
        }
        if (i == end)
        {
            return -1;
        }
        if (end - start < Long.BYTES)
        {
            return indexOfControlByteByByte(buffer, i, end, end); // a line shorter than a word
        }
        // 1 to 15 bytes left: the word at i, if 8 or more are left, and the line's last 8 bytes, which may overlap
        // bytes already found clean; either flagged, the rest is looked at byte by byte.
        final long last = UnsafeApi.getLongUnaligned(array, address + end - Long.BYTES);
        final long first = end - i >= Long.BYTES ? UnsafeApi.getLongUnaligned(array, address + i) : last;
        return 0 == ((maySuspect(first) | maySuspect(last)) & HIGH_BITS) ?
            -1 : indexOfControlByteByByte(buffer, i, end, end);
    }

    /**
     * The quick test: a byte's high bit is set only if some byte of the word is below 0x20, DEL or above 0x7F (the
     * has-less-than test of "Bit Twiddling Hacks" for below 0x20; adding one sets the high bit of DEL, and a byte above
     * 0x7F has its own), so "none", the common answer for ASCII text, is exact. Byte order does not matter for it. A
     * tab or a byte above 0x7F makes it answer "some"; so does a newline, which lets the reader's newline scan use this
     * one test for both. (Testing for 0xC2 here rather than for any byte above 0x7F made ASCII text about a third
     * slower, other UTF-8 a third faster.)
     */
    static long maySuspect(final long word)
    {
        // The has-less-than test is (word - SPACES) & ~word: its "& ~word" only clears high bits that "| word" sets
        // again, so it is left out (one operation fewer per word in the reader's newline scan, its largest cost).
        return (word - SPACES) | (word + ONES) | word;
    }

    /**
     * The exact test, for a word the quick one flagged: the high bit of each byte below 0x20 but tab, of each DEL and
     * of each 0xC2, with no carry from byte to byte (each byte's low seven bits are added to at most 0x7F).
     */
    static long suspects(final long word)
    {
        final long belowSpace = ~(((word & LOW_SEVEN_BITS) + BELOW_SPACE_CARRY) | word);
        return (belowSpace & ~equalBytes(word, TABS)) | equalBytes(word, DELETES) | equalBytes(word, C1_LEADS);
    }

    /** @return a word with the high bit set in each byte of {@code word} equal to that byte of {@code pattern}. */
    static long equalBytes(final long word, final long pattern)
    {
        final long difference = word ^ pattern;
        return ~(((difference & LOW_SEVEN_BITS) + LOW_SEVEN_BITS) | difference);
    }

    /** Two words the quick test flagged: looks byte by byte only at one holding a control character or 0xC2. */
    private static int indexOfControlInSuspects(
        final DirectBuffer buffer, final int index, final long word1, final long word2, final int end)
    {
        if (0 != (suspects(word1) & HIGH_BITS))
        {
            final int found = indexOfControlByteByByte(buffer, index, index + Long.BYTES, end);
            if (found >= 0)
            {
                return found;
            }
        }
        if (0 != (suspects(word2) & HIGH_BITS))
        {
            return indexOfControlByteByByte(buffer, index + Long.BYTES, index + 2 * Long.BYTES, end);
        }
        return -1;
    }

    /**
     * The byte form of {@link #suspects(long)}: a C0 control other than tab, DEL, or 0xC2 (which begins a C1 control
     * if the byte after it is 0x80..0x9F).
     */
    static boolean isSuspect(final byte b)
    {
        return (b >= 0 && b <= LAST_C0_CONTROL && b != TAB) || b == DELETE || b == C1_LEAD;
    }

    private static int indexOfControlByteByByte(final DirectBuffer buffer, final int from, final int to, final int end)
    {
        for (int i = from; i < to; i++)
        {
            final byte b = buffer.getByte(i);
            if ((b >= 0 && b <= LAST_C0_CONTROL && b != TAB) || b == DELETE)
            {
                return i;
            }
            if (b == C1_LEAD && i + 1 < end)
            {
                final byte next = buffer.getByte(i + 1);
                if (next < 0 && next <= C1_LAST_CONTINUATION) // 0x80..0x9F
                {
                    return i;
                }
            }
        }
        return -1;
    }

    /**
     * The name rule with {@link NameCharset#UNICODE}, the broker's default; see
     * {@link #checkName(DirectBuffer, int, int, int, NameCharset)}.
     */
    public static NameError checkName(final DirectBuffer buffer, final int start, final int end, final int maxNameBytes)
    {
        return checkName(buffer, start, end, maxNameBytes, NameCharset.UNICODE);
    }

    /**
     * The name rule, on a name already trimmed of spaces and tabs, in place (the broker's thread checks every first
     * line with it). An ASCII name is checked without allocation; a name with other bytes is copied and decoded, once
     * per connection.
     *
     * @param buffer       holding the name.
     * @param start        index of its first byte.
     * @param end          index after its last byte.
     * @param maxNameBytes the broker's {@code --max-name-bytes}.
     * @param charset      the broker's {@code --name-charset}.
     * @return null for a valid name, else why it is not.
     */
    public static NameError checkName(
        final DirectBuffer buffer, final int start, final int end, final int maxNameBytes, final NameCharset charset)
    {
        NameError error = checkNameLength(end - start, maxNameBytes);
        boolean ascii = true;
        for (int i = start; i < end && null == error; i++)
        {
            final byte b = buffer.getByte(i);
            error = checkNameByte(b);
            ascii &= b >= 0;
        }
        if (null != error || ascii)
        {
            return error;
        }
        if (NameCharset.ASCII == charset)
        {
            return NameError.NOT_ASCII;
        }
        final byte[] bytes = new byte[end - start];
        buffer.getBytes(start, bytes);
        return checkBeyondAscii(bytes);
    }

    /**
     * The name rule with {@link NameCharset#UNICODE}, the broker's default; see
     * {@link #checkName(String, int, NameCharset)}.
     */
    public static NameError checkName(final String name, final int maxNameBytes)
    {
        return checkName(name, maxNameBytes, NameCharset.UNICODE);
    }

    /**
     * The name rule for a name that a tool will send or store, as its UTF-8 bytes: the same rule as the broker's, and
     * the name must already be trimmed ({@link NameError#UNTRIMMED}), so that the broker registers exactly this name.
     * Allocates; not for the hot path. Touches no Agrona class, so a tool started without Agrona's JVM flags (the
     * loadgen) can call it.
     *
     * @param name         the name.
     * @param maxNameBytes the broker's {@code --max-name-bytes}, or {@link Integer#MAX_VALUE} when unknown.
     * @param charset      the broker's {@code --name-charset}.
     * @return null for a valid name, else why it is not.
     */
    public static NameError checkName(final String name, final int maxNameBytes, final NameCharset charset)
    {
        for (int i = 0; i < name.length(); i++)
        {
            if (Character.isSurrogate(name.charAt(i)) &&
                !(Character.isHighSurrogate(name.charAt(i)) && i + 1 < name.length() &&
                Character.isLowSurrogate(name.charAt(++i))))
            {
                return NameError.INVALID_UTF8; // an unpaired surrogate, which getBytes would turn into '?'
            }
        }
        final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0 && (isBlank(bytes[0]) || isBlank(bytes[bytes.length - 1])))
        {
            return NameError.UNTRIMMED;
        }
        NameError error = checkNameLength(bytes.length, maxNameBytes);
        boolean ascii = true;
        for (int i = 0; i < bytes.length && null == error; i++)
        {
            error = checkNameByte(bytes[i]);
            ascii &= bytes[i] >= 0;
        }
        if (null != error || ascii)
        {
            return error;
        }
        if (NameCharset.ASCII == charset)
        {
            return NameError.NOT_ASCII;
        }
        return checkBeyondAscii(bytes);
    }

    /** The rule's bounds on a trimmed name's length: 1 to max-name-bytes. */
    private static NameError checkNameLength(final int length, final int maxNameBytes)
    {
        if (length <= 0)
        {
            return NameError.EMPTY;
        }
        return length > maxNameBytes ? NameError.TOO_LONG : null;
    }

    /** The rule's forbidden bytes: the two separators and every control character. */
    private static NameError checkNameByte(final byte b)
    {
        if (b == DESTINATION_SEPARATOR)
        {
            return NameError.COMMA;
        }
        if (b == TEXT_SEPARATOR)
        {
            return NameError.COLON;
        }
        if ((b >= 0 && b <= LAST_C0_CONTROL) || b == DELETE)
        {
            return NameError.CONTROL;
        }
        return null;
    }

    /**
     * The rule for a name with bytes above 0x7F, whose ASCII bytes have passed {@link #checkNameByte(byte)}: valid
     * UTF-8, each code point allowed ({@link #checkNameCodePoint(int)}), no Latin letter with a Cyrillic or Greek one,
     * and in NFC.
     */
    private static NameError checkBeyondAscii(final byte[] utf8)
    {
        boolean latin = false;
        boolean cyrillicOrGreek = false;
        for (int i = 0; i < utf8.length; )
        {
            final long decoded = decodeUtf8(utf8, i);
            if (decoded < 0)
            {
                return NameError.INVALID_UTF8;
            }
            final int codePoint = (int)decoded;
            final NameError error = checkNameCodePoint(codePoint);
            if (null != error)
            {
                return error;
            }
            if (Character.isLetter(codePoint))
            {
                final Character.UnicodeScript script = Character.UnicodeScript.of(codePoint);
                latin |= script == Character.UnicodeScript.LATIN;
                cyrillicOrGreek |= script == Character.UnicodeScript.CYRILLIC ||
                    script == Character.UnicodeScript.GREEK;
            }
            i += (int)(decoded >>> 32);
        }
        if (latin && cyrillicOrGreek)
        {
            return NameError.MIXED_SCRIPT;
        }
        return Normalizer.isNormalized(new String(utf8, StandardCharsets.UTF_8), Normalizer.Form.NFC) ?
            null : NameError.NOT_NFC;
    }

    /** Whether one code point may be part of a name; the ASCII ones reaching here are allowed already. */
    private static NameError checkNameCodePoint(final int codePoint)
    {
        switch (Character.getType(codePoint))
        {
            case Character.CONTROL:
                return NameError.CONTROL;
            case Character.SPACE_SEPARATOR:
                return ' ' == codePoint ? null : NameError.WHITESPACE;
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
                return NameError.WHITESPACE;
            case Character.FORMAT:
                return NameError.INVISIBLE;
            case Character.UNASSIGNED:
            case Character.PRIVATE_USE:
            case Character.SURROGATE:
                return NameError.UNASSIGNED;
            default:
                return isInvisibleLetterOrMark(codePoint) ? NameError.INVISIBLE : null;
        }
    }

    /**
     * Code points that show as nothing, or as a blank, though Unicode does not class them as formatting characters:
     * the default-ignorable ones that are letters or marks (combining grapheme joiner, Hangul fillers, Khmer inherent
     * vowels, Mongolian variation selectors, the variation selectors), and the blank Braille pattern.
     */
    private static boolean isInvisibleLetterOrMark(final int codePoint)
    {
        return codePoint == 0x034F || codePoint == 0x115F || codePoint == 0x1160 || codePoint == 0x17B4 ||
            codePoint == 0x17B5 || (codePoint >= 0x180B && codePoint <= 0x180F) || codePoint == 0x2800 ||
            codePoint == 0x3164 || (codePoint >= 0xFE00 && codePoint <= 0xFE0F) || codePoint == 0xFFA0 ||
            (codePoint >= 0xE0100 && codePoint <= 0xE01EF);
    }

    /**
     * Decodes one UTF-8 character, strictly: no overlong forms, no surrogates, nothing above U+10FFFF.
     *
     * @return its length in bytes in the high 32 bits and the code point in the low 32, or -1 if the bytes at
     * {@code index} do not start a valid character.
     */
    private static long decodeUtf8(final byte[] bytes, final int index)
    {
        final int lead = bytes[index] & 0xFF;
        final int length;
        int codePoint;
        if (lead < 0x80)
        {
            return (1L << 32) | lead;
        }
        else if (lead >= 0xC2 && lead <= 0xDF)
        {
            length = 2;
            codePoint = lead & 0x1F;
        }
        else if (lead >= 0xE0 && lead <= 0xEF)
        {
            length = 3;
            codePoint = lead & 0x0F;
        }
        else if (lead >= 0xF0 && lead <= 0xF4)
        {
            length = 4;
            codePoint = lead & 0x07;
        }
        else
        {
            return -1;
        }
        if (index + length > bytes.length)
        {
            return -1;
        }
        for (int k = 1; k < length; k++)
        {
            final int continuation = bytes[index + k] & 0xFF;
            if ((continuation & 0xC0) != 0x80)
            {
                return -1;
            }
            codePoint = (codePoint << 6) | (continuation & 0x3F);
        }
        if ((length == 3 && codePoint < 0x800) || (length == 4 && (codePoint < 0x1_0000 || codePoint > 0x10_FFFF)) ||
            (codePoint >= 0xD800 && codePoint <= 0xDFFF))
        {
            return -1;
        }
        return ((long)length << 32) | codePoint;
    }

    /**
     * A name as the log shows it: printable, and different for any two names. Invalid UTF-8 and control bytes
     * (0x00-0x1F, 0x7F) become <code>&#92;xNN</code>; code points a name may not hold beyond ASCII (C1 controls,
     * invisible, bidi-control, non-space whitespace, unassigned) become <code>&#92;u{XXXX}</code>; a backslash becomes
     * two. Anything else is kept. Allocates: for connection events, not per message.
     *
     * @param bytes  holding the name as received.
     * @param offset of its first byte.
     * @param length in bytes.
     * @return the escaped name.
     */
    public static String escapeName(final byte[] bytes, final int offset, final int length)
    {
        final byte[] name = offset == 0 && length == bytes.length ? bytes : Arrays.copyOfRange(bytes, offset,
            offset + length);
        final StringBuilder sb = new StringBuilder(length + 8);
        for (int i = 0; i < name.length; )
        {
            final long decoded = decodeUtf8(name, i);
            final int codePoint = (int)decoded;
            if (decoded < 0 || codePoint <= LAST_C0_CONTROL || codePoint == DELETE)
            {
                final int b = name[i] & 0xFF;
                sb.append("\\x").append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xF, 16));
                i++;
                continue;
            }
            if (codePoint == '\\')
            {
                sb.append("\\\\");
            }
            else if (codePoint >= 0x80 && null != checkNameCodePoint(codePoint))
            {
                sb.append("\\u{").append(Integer.toHexString(codePoint).toUpperCase(java.util.Locale.ROOT)).append('}');
            }
            else
            {
                sb.appendCodePoint(codePoint);
            }
            i += (int)(decoded >>> 32);
        }
        return sb.toString();
    }

    /**
     * Whether a connection that has sent no complete first line has run out of time.
     *
     * @param acceptedNs    {@link System#nanoTime()} when the connection was accepted.
     * @param nowNs         {@link System#nanoTime()} now.
     * @param nameTimeoutNs {@code --name-timeout-ms} in nanoseconds; 0 for no deadline.
     * @return true once more than the timeout has passed since the accept.
     */
    public static boolean isNameOverdue(final long acceptedNs, final long nowNs, final long nameTimeoutNs)
    {
        return nameTimeoutNs > 0 && nowNs - acceptedNs > nameTimeoutNs;
    }

    /**
     * @param error        why the name was refused.
     * @param maxNameBytes the limit it was checked against.
     * @return {@code error: invalid name: <reason>}.
     */
    public static String invalidName(final NameError error, final int maxNameBytes)
    {
        return INVALID_NAME_PREFIX + error.reason(maxNameBytes);
    }

    /**
     * @param maxLineBytes the broker's {@code --max-line-bytes}.
     * @return {@code error: line too long (max N bytes)}.
     */
    public static String lineTooLong(final int maxLineBytes)
    {
        return LINE_TOO_LONG_PREFIX + maxLineBytes + LINE_TOO_LONG_SUFFIX;
    }

    /**
     * @param maxDestinations the broker's {@code --max-destinations}.
     * @return {@code error: too many destinations (max N)}: the whole line is refused, nothing of it delivered.
     */
    public static String tooManyDestinations(final int maxDestinations)
    {
        return TOO_MANY_DESTINATIONS_PREFIX + maxDestinations + TOO_MANY_DESTINATIONS_SUFFIX;
    }

    /**
     * @param nameTimeoutMs the broker's {@code --name-timeout-ms}.
     * @return {@code error: no name within N ms}.
     */
    public static String nameTimeout(final long nameTimeoutMs)
    {
        return NAME_TIMEOUT_PREFIX + nameTimeoutMs + NAME_TIMEOUT_SUFFIX;
    }

    /**
     * @param partialLineTimeoutMs the broker's {@code --partial-line-timeout-ms}.
     * @return {@code error: line not finished within N ms}.
     */
    public static String partialLineTimeout(final long partialLineTimeoutMs)
    {
        return PARTIAL_LINE_TIMEOUT_PREFIX + partialLineTimeoutMs + NAME_TIMEOUT_SUFFIX;
    }

    /**
     * @param idleTimeoutMs the broker's {@code --idle-timeout-ms}.
     * @return {@code error: idle for N ms}.
     */
    public static String idleTimeout(final long idleTimeoutMs)
    {
        return IDLE_TIMEOUT_PREFIX + idleTimeoutMs + NAME_TIMEOUT_SUFFIX;
    }

    /**
     * @param text part of a line.
     * @return its bytes (the protocol's own texts are ASCII).
     */
    public static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param text the end of a line, or a whole line, without its line end.
     * @return its bytes followed by {@link #LINE_END}.
     */
    public static byte[] lineBytes(final String text)
    {
        final byte[] textBytes = bytes(text);
        final byte[] line = Arrays.copyOf(textBytes, textBytes.length + 1);
        line[textBytes.length] = LINE_END;
        return line;
    }

    /**
     * @param maxNameBytes the broker's {@code --max-name-bytes}.
     * @return bytes a delivered message takes beyond its text: {@code from <name>: } and the line end.
     */
    public static int deliveryOverheadBytes(final int maxNameBytes)
    {
        return FROM_PREFIX.length() + maxNameBytes + FROM_SEPARATOR.length() + 1;
    }

    /**
     * The longest line the broker can send, line end included: a delivered message of max-line-bytes of text, or an
     * error echoing a destination as long as a line, whichever is longer, and never less than the longest fixed
     * error line.
     *
     * @param maxNameBytes the broker's {@code --max-name-bytes}.
     * @param maxLineBytes the broker's {@code --max-line-bytes}.
     * @return bytes.
     */
    public static long maxMessageBytes(final int maxNameBytes, final int maxLineBytes)
    {
        final long delivered = deliveryOverheadBytes(maxNameBytes) + (long)maxLineBytes;
        final long noPeer = NO_PEER_PREFIX.length() + (long)maxLineBytes + NO_PEER_SUFFIX.length() + 1;
        final long nameTaken = NAME_TAKEN_PREFIX.length() + (long)maxNameBytes + NAME_TAKEN_SUFFIX.length() + 1;
        long replies = Math.max(lineTooLong(maxLineBytes).length(), nameTimeout(Long.MAX_VALUE).length());
        replies = Math.max(replies, Math.max(partialLineTimeout(Long.MAX_VALUE).length(),
            idleTimeout(Long.MAX_VALUE).length()));
        for (final NameError error : NameError.values())
        {
            replies = Math.max(replies, invalidName(error, maxNameBytes).length());
        }
        for (final String reply : new String[]{ BAD_LINE, CONTROL_IN_LINE, SLOW_CONSUMER, TOO_MANY_CONNECTIONS,
            TOO_MANY_FROM_ADDRESS, SERVER_OUT_OF_MEMORY, NOT_AUTHORIZED, BUSY, CLUSTER_UNAVAILABLE })
        {
            replies = Math.max(replies, reply.length());
        }
        return Math.max(Math.max(delivered, noPeer), Math.max(nameTaken, replies + 1));
    }
}
