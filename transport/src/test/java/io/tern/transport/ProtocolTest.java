/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.tern.transport.Protocol.NameCharset;
import io.tern.transport.Protocol.NameError;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class ProtocolTest
{
    private static final int MAX = 8;

    /** Checks the bytes as the broker does: within a larger buffer, at an offset, with bytes around them. */
    private static NameError checkInBuffer(final byte[] name, final int maxNameBytes)
    {
        final byte[] padded = new byte[name.length + 6];
        padded[0] = ',';
        padded[1] = ':';
        padded[2] = 0x7F;
        System.arraycopy(name, 0, padded, 3, name.length);
        padded[padded.length - 3] = ',';
        padded[padded.length - 2] = ':';
        padded[padded.length - 1] = 0x00;
        return Protocol.checkName(new UnsafeBuffer(padded), 3, 3 + name.length, maxNameBytes);
    }

    private static void assertNameError(final NameError expected, final byte[] name)
    {
        assertEquals(expected, checkInBuffer(name, MAX), "buffer form");
        assertEquals(expected, Protocol.checkName(new String(name, StandardCharsets.ISO_8859_1), MAX), "String form");
    }

    @Test
    void shouldAcceptPrintableNamesWithInnerSpaces()
    {
        assertNameError(null, "a".getBytes(StandardCharsets.US_ASCII));
        assertNameError(null, "al ice".getBytes(StandardCharsets.US_ASCII));
        assertNameError(null, "~!#$%&'/".getBytes(StandardCharsets.US_ASCII));
        assertNameError(null, new byte[]{ 'a', 0x20, 0x7E });
    }

    @Test
    void shouldAcceptANameOfExactlyTheMaximum()
    {
        assertNameError(null, "abcdefgh".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldRefuseANameOneByteOverTheMaximum()
    {
        assertNameError(NameError.TOO_LONG, "abcdefghi".getBytes(StandardCharsets.US_ASCII));
        assertEquals("longer than 8 bytes", NameError.TOO_LONG.reason(MAX));
    }

    @Test
    void shouldCountBytesNotCharactersAndAllowUtf8AboveAscii()
    {
        final String fourTwoByteCharacters = "\u00e9\u00e9\u00e9\u00e9";
        assertNull(Protocol.checkName(fourTwoByteCharacters, MAX));
        assertEquals(NameError.TOO_LONG, Protocol.checkName(fourTwoByteCharacters + "\u00e9", MAX));
        assertNull(checkInBuffer(fourTwoByteCharacters.getBytes(StandardCharsets.UTF_8), MAX));
        // Bytes above 0x7F used to be allowed whatever they were; now they must be UTF-8 (see shouldRefuseInvalidUtf8).
        assertEquals(NameError.INVALID_UTF8, checkInBuffer(new byte[]{ (byte)0x80, (byte)0xFF }, MAX));
    }

    @Test
    void shouldRefuseAnEmptyName()
    {
        assertNameError(NameError.EMPTY, new byte[0]);
        assertEquals("empty", NameError.EMPTY.reason(MAX));
    }

    @Test
    void shouldRefuseAComma()
    {
        assertNameError(NameError.COMMA, "a,b".getBytes(StandardCharsets.US_ASCII));
        assertEquals("contains ','", NameError.COMMA.reason(MAX));
    }

    @Test
    void shouldRefuseAColon()
    {
        assertNameError(NameError.COLON, "a:b".getBytes(StandardCharsets.US_ASCII));
        assertEquals("contains ':'", NameError.COLON.reason(MAX));
    }

    @ParameterizedTest
    @ValueSource(ints = { 0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x7F })
    void shouldRefuseEveryControlCharacter(final int control)
    {
        assertNameError(NameError.CONTROL, new byte[]{ 'a', (byte)control, 'b' });
        assertEquals("contains a control character", NameError.CONTROL.reason(MAX));
    }

    @Test
    void shouldJudgeEveryByteAlikeInBothForms()
    {
        for (int b = 0; b < 0x80; b++)
        {
            final byte[] name = { 'a', (byte)b, 'z' };
            final NameError expected = b == ',' ? NameError.COMMA : b == ':' ? NameError.COLON :
                b < 0x20 || b == 0x7F ? NameError.CONTROL : null;
            assertNameError(expected, name);
        }
        // A byte above 0x7F alone is never UTF-8 (a String cannot hold it: the buffer form only).
        for (int b = 0x80; b < 0x100; b++)
        {
            final byte[] name = { 'a', (byte)b, 'z' };
            assertEquals(NameError.INVALID_UTF8, checkInBuffer(name, MAX), "byte " + b);
            assertEquals(NameError.NOT_ASCII, Protocol.checkName(new UnsafeBuffer(name), 0, 3, MAX, NameCharset.ASCII));
        }
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("lookalikes")
    void shouldRefuseNamesThatLookLikeOthers(final String name, final String description, final NameError expected)
    {
        final byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        assertEquals(expected, Protocol.checkName(new UnsafeBuffer(utf8), 0, utf8.length, 64), "buffer form");
        assertEquals(expected, Protocol.checkName(name, 64), "String form");
        assertEquals(NameError.NOT_ASCII, Protocol.checkName(name, 64, NameCharset.ASCII), "ascii");
    }

    static Stream<Arguments> lookalikes()
    {
        return Stream.of(
            Arguments.of("alice\u00a0", "a trailing no-break space", NameError.WHITESPACE),
            Arguments.of("\ufeffalice", "a leading byte-order mark (ZWNBSP)", NameError.INVISIBLE),
            Arguments.of("alic\u0435", "a Cyrillic ie among Latin letters", NameError.MIXED_SCRIPT),
            Arguments.of("\u0430lice", "a Cyrillic a among Latin letters", NameError.MIXED_SCRIPT),
            Arguments.of("\u03bfscar", "a Greek omicron among Latin letters", NameError.MIXED_SCRIPT),
            Arguments.of("\u202eecila", "the right-to-left override", NameError.INVISIBLE),
            Arguments.of("al\u202dice", "the left-to-right override", NameError.INVISIBLE),
            Arguments.of("al\u2067ice", "a right-to-left isolate", NameError.INVISIBLE),
            Arguments.of("al\u200eice", "a left-to-right mark", NameError.INVISIBLE),
            Arguments.of("al\u200bice", "a zero-width space", NameError.INVISIBLE),
            Arguments.of("al\u200dice", "a zero-width joiner", NameError.INVISIBLE),
            Arguments.of("al\u00adice", "a soft hyphen", NameError.INVISIBLE),
            Arguments.of("al\u2060ice", "a word joiner", NameError.INVISIBLE),
            Arguments.of("alice\u3164", "a Hangul filler", NameError.INVISIBLE),
            Arguments.of("alice\ufe0f", "a variation selector", NameError.INVISIBLE),
            Arguments.of("al\u2028ice", "the line separator", NameError.WHITESPACE),
            Arguments.of("al\u2029ice", "the paragraph separator", NameError.WHITESPACE),
            Arguments.of("al\u2003ice", "an em space", NameError.WHITESPACE),
            Arguments.of("al\u3000ice", "an ideographic space", NameError.WHITESPACE),
            Arguments.of("al\u0085ice", "a C1 control (NEL)", NameError.CONTROL),
            Arguments.of("al\u009bice", "a C1 control (CSI)", NameError.CONTROL),
            Arguments.of("jose\u0301", "e and a combining acute accent (not NFC)", NameError.NOT_NFC),
            Arguments.of("al\ue000ice", "a private-use character", NameError.UNASSIGNED),
            Arguments.of("al\u0378ice", "an unassigned code point", NameError.UNASSIGNED));
    }

    @ParameterizedTest
    @ValueSource(strings = { "zo\u00eb", "Jos\u00e9 Mar\u00eda", "\u0391\u03bb\u03ad\u03be\u03b7\u03c2",
        "\u0410\u043b\u0438\u0441\u0430", "\u0410\u043b\u0438\u0441\u0430 \u0391\u03bb\u03ad\u03be",
        "\u65e5\u672c", "\u0645\u0631\u062d\u0628\u0627", "a \ud83d\ude80 rocket", "caf\u00e9 \u00b5s" })
    void shouldAcceptNamesInAnyScriptThatLookLikeThemselvesOnly(final String name)
    {
        final byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        assertNull(Protocol.checkName(new UnsafeBuffer(utf8), 0, utf8.length, 64), "buffer form");
        assertNull(Protocol.checkName(name, 64), "String form");
        assertEquals(NameError.NOT_ASCII, Protocol.checkName(name, 64, NameCharset.ASCII));
        assertNull(Protocol.checkName("alice smith", 64, NameCharset.ASCII));
    }

    @Test
    void shouldRefuseInvalidUtf8()
    {
        final byte[][] invalid = {
            { 'a', (byte)0xC0, (byte)0xAF },                    // overlong '/'
            { 'a', (byte)0xE0, (byte)0x80, (byte)0xAF },        // overlong '/' in three bytes
            { 'a', (byte)0xED, (byte)0xA0, (byte)0x80 },        // a surrogate, U+D800
            { 'a', (byte)0xF4, (byte)0x90, (byte)0x80, (byte)0x80 }, // above U+10FFFF
            { 'a', (byte)0xC3 },                                // cut short
            { 'a', (byte)0xC3, 'b' },                           // a lead without its continuation
            { 'a', (byte)0xA9 },                                // a stray continuation
            { (byte)0xFF, (byte)0xFE, 'a' },
        };
        for (final byte[] name : invalid)
        {
            assertEquals(NameError.INVALID_UTF8, checkInBuffer(name, 64), java.util.Arrays.toString(name));
        }
        assertEquals(NameError.INVALID_UTF8, Protocol.checkName("a\ud800b", 64), "an unpaired surrogate");
        assertEquals(NameError.INVALID_UTF8, Protocol.checkName("ab\udc00", 64), "an unpaired low surrogate");
        assertNull(Protocol.checkName("a\ud83d\ude80", 64), "a pair is fine");
    }

    @Test
    void shouldEscapeNamesForTheLogSoThatNoTwoLookAlike()
    {
        assertEquals("alice", escape("alice".getBytes(StandardCharsets.UTF_8)));
        assertEquals("zo\u00eb \u65e5", escape("zo\u00eb \u65e5".getBytes(StandardCharsets.UTF_8)));
        assertEquals("alice\\u{A0}", escape("alice\u00a0".getBytes(StandardCharsets.UTF_8)));
        assertEquals("\\u{FEFF}alice", escape("\ufeffalice".getBytes(StandardCharsets.UTF_8)));
        assertEquals("\\u{202E}ecila", escape("\u202eecila".getBytes(StandardCharsets.UTF_8)));
        assertEquals("a\\u{9B}b", escape("a\u009bb".getBytes(StandardCharsets.UTF_8)));
        assertEquals("a\\x0d\\x1b[2Jb\\x7f", escape(new byte[]{ 'a', '\r', 0x1B, '[', '2', 'J', 'b', 0x7F }));
        assertEquals("a\\xff\\xfe", escape(new byte[]{ 'a', (byte)0xFF, (byte)0xFE }));
        assertEquals("a\\xc3", escape(new byte[]{ 'a', (byte)0xC3 }));
        assertEquals("a\\\\x0d", escape("a\\x0d".getBytes(StandardCharsets.UTF_8)), "a backslash is doubled");
        assertEquals("b", Protocol.escapeName(new byte[]{ 'a', 'b', 'c' }, 1, 1));

        // Two different invalid names used to log as the same replacement characters; two lookalikes as the same text.
        final byte[][] distinct = {
            { 'a', (byte)0xFF }, { 'a', (byte)0xFE }, { 'a', (byte)0xEF, (byte)0xBF, (byte)0xBD },
            "alice".getBytes(StandardCharsets.UTF_8), "alice\u00a0".getBytes(StandardCharsets.UTF_8),
            "\ufeffalice".getBytes(StandardCharsets.UTF_8), "alic\u0435".getBytes(StandardCharsets.UTF_8),
            "a\r".getBytes(StandardCharsets.UTF_8), "a\\x0d".getBytes(StandardCharsets.UTF_8),
        };
        final java.util.Set<String> logged = new java.util.HashSet<>();
        for (final byte[] name : distinct)
        {
            final String escaped = escape(name);
            assertTrue(logged.add(escaped), "logged alike: " + escaped);
            assertTrue(escaped.codePoints().allMatch(c -> c >= 0x20 && c != 0x7F && (c < 0x80 || c > 0x9F)), escaped);
        }
    }

    private static String escape(final byte[] name)
    {
        return Protocol.escapeName(name, 0, name.length);
    }

    @Test
    void shouldFindControlCharactersInALineWhereverTheyAre()
    {
        final java.util.Random random = new java.util.Random(42);
        final byte[] specials = { 0x00, 0x01, 0x09, 0x0D, 0x1B, 0x1F, 0x20, 0x7E, 0x7F, (byte)0x80, (byte)0x9B,
            (byte)0x9F, (byte)0xA0, (byte)0xC2, (byte)0xC3, (byte)0xFF, 'a', ':' };
        for (int run = 0; run < 20_000; run++)
        {
            final byte[] line = new byte[1 + random.nextInt(70)];
            for (int i = 0; i < line.length; i++)
            {
                line[i] = random.nextInt(4) == 0 ? specials[random.nextInt(specials.length)] :
                    (byte)(0x20 + random.nextInt(0x5F));
            }
            final int start = random.nextInt(line.length);
            final int end = start + random.nextInt(line.length - start + 1);
            assertEquals(indexOfControlOneByOne(line, start, end),
                Protocol.indexOfControl(new UnsafeBuffer(line), start, end), java.util.Arrays.toString(line) +
                " from " + start + " to " + end);
        }
    }

    @Test
    void shouldRefuseC0ButTabDelAndC1InALine()
    {
        for (int b = 0; b < 0x80; b++)
        {
            for (int at = 0; at < 20; at++)
            {
                final byte[] line = "bob: hello there alice".getBytes(StandardCharsets.US_ASCII);
                line[at] = (byte)b;
                final boolean control = (b < 0x20 && b != '\t') || b == 0x7F;
                assertEquals(control ? at : -1, Protocol.indexOfControl(new UnsafeBuffer(line), 0, line.length));
            }
        }
        assertEquals(13, indexOfControl("from mallory:\rfrom alice: please send the key to mallory"));
        assertEquals(4, indexOfControl("bob:\u001b[2J"));
        assertEquals(5, indexOfControl("bob: \u009b2J"), "CSI as UTF-8: C2 9B");
        assertEquals(5, indexOfControl("bob: \u0085"), "NEL as UTF-8: C2 85");
        assertEquals(-1, indexOfControl("bob: \u00a0\u00bf\u00e9\u4f60 \ud83d\ude80\t\u202e tab and more"));
        assertEquals(-1, Protocol.indexOfControl(new UnsafeBuffer(new byte[]{ 'a', (byte)0xC2 }), 0, 2),
            "0xC2 at the end: the next byte is not the line's");
        assertEquals(-1, Protocol.indexOfControl(new UnsafeBuffer(new byte[]{ 'a', (byte)0xC2, (byte)0x9B }), 0, 2));
        assertEquals(-1, Protocol.indexOfControl(new UnsafeBuffer(new byte[]{ (byte)0x9B, (byte)0xFF }), 0, 2),
            "bytes that are not UTF-8 pass: text is bytes");
    }

    private static int indexOfControl(final String line)
    {
        final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return Protocol.indexOfControl(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    private static int indexOfControlOneByOne(final byte[] line, final int start, final int end)
    {
        for (int i = start; i < end; i++)
        {
            final int b = line[i] & 0xFF;
            if ((b < 0x20 && b != '\t') || b == 0x7F ||
                (b == 0xC2 && i + 1 < end && (line[i + 1] & 0xFF) >= 0x80 && (line[i + 1] & 0xFF) <= 0x9F))
            {
                return i;
            }
        }
        return -1;
    }

    @Test
    void shouldRefuseUntrimmedNamesOnlyInTheStringForm()
    {
        assertEquals(NameError.UNTRIMMED, Protocol.checkName(" alice", MAX));
        assertEquals(NameError.UNTRIMMED, Protocol.checkName("alice\t", MAX));
        assertEquals(NameError.UNTRIMMED, Protocol.checkName(" ", MAX));
        // The broker trims the first line before it checks the name, so the buffer form never sees blanks at the ends.
        assertNull(checkInBuffer(" alice".getBytes(StandardCharsets.US_ASCII), MAX));
    }

    @Test
    void shouldTrimOnlySpacesAndTabs()
    {
        final DirectBuffer line = new UnsafeBuffer(" \t a b\t \r".getBytes(StandardCharsets.US_ASCII));
        final int start = Protocol.skipBlanks(line, 0, line.capacity());
        assertEquals(3, start);
        assertEquals(line.capacity(), Protocol.trimBlanksEnd(line, start, line.capacity()), "a \\r is not blank");
        assertEquals(6, Protocol.trimBlanksEnd(line, start, line.capacity() - 1));
        assertEquals(2, Protocol.skipBlanks(line, 0, 2));
        assertEquals(0, Protocol.trimBlanksEnd(line, 0, 2));
    }

    @Test
    void shouldWordEveryReplyAsTheReadmeDoes()
    {
        assertEquals("error: invalid name: longer than 64 bytes", Protocol.invalidName(NameError.TOO_LONG, 64));
        assertEquals("error: line too long (max 65536 bytes)", Protocol.lineTooLong(65536));
        assertEquals("error: no name within 10000 ms", Protocol.nameTimeout(10_000));
        for (final String reply : new String[]{ Protocol.NO_PEER_PREFIX, Protocol.NAME_TAKEN_PREFIX,
            Protocol.INVALID_NAME_PREFIX, Protocol.BAD_LINE, Protocol.SLOW_CONSUMER, Protocol.TOO_MANY_CONNECTIONS,
            Protocol.SERVER_OUT_OF_MEMORY, Protocol.NOT_AUTHORIZED, Protocol.lineTooLong(1), Protocol.nameTimeout(1) })
        {
            assertTrue(reply.startsWith(Protocol.ERROR_PREFIX), reply);
        }
        assertArrayEquals("error: slow consumer\n".getBytes(StandardCharsets.US_ASCII),
            Protocol.lineBytes(Protocol.SLOW_CONSUMER));
    }

    @Test
    void shouldBoundTheLargestLineTheBrokerSends()
    {
        // from <64-byte name>: <65536 bytes>\n
        assertEquals(5 + 64 + 2 + 65536 + 1, Protocol.maxMessageBytes(64, 65536));
        // error: no peer '<a destination as long as a line>'\n is longer when names are short
        assertEquals("error: no peer ''".length() + 65536 + 1, Protocol.maxMessageBytes(1, 65536));
        // and with tiny limits no fixed error line is longer than the bound
        final long tiny = Protocol.maxMessageBytes(1, 16);
        assertTrue(tiny >= Protocol.lineBytes(Protocol.BAD_LINE).length, Long.toString(tiny));
        assertTrue(tiny >= Protocol.lineBytes(Protocol.invalidName(NameError.CONTROL, 1)).length);
        assertTrue(tiny >= Protocol.lineBytes(Protocol.nameTimeout(Long.MAX_VALUE)).length);
    }

    @Test
    void shouldTellWhenTheNameDeadlineHasPassed()
    {
        assertTrue(Protocol.isNameOverdue(100, 100 + 51, 50));
        assertFalse(Protocol.isNameOverdue(100, 100 + 50, 50), "exactly the timeout is still in time");
        assertFalse(Protocol.isNameOverdue(100, Long.MAX_VALUE, 0), "0 means no deadline");
        assertTrue(Protocol.isNameOverdue(Long.MAX_VALUE - 10, Long.MIN_VALUE + 100, 50), "across nanoTime's wrap");
    }

    @Test
    void shouldCheckNamesInABufferWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        final DirectBuffer valid = new UnsafeBuffer("alice smith".getBytes(StandardCharsets.US_ASCII));
        final DirectBuffer invalid = new UnsafeBuffer("alice:smith".getBytes(StandardCharsets.US_ASCII));
        // Warm up (the JIT compiles checkRepeatedly) and let the MXBean's own first call allocate.
        for (int i = 0; i < 20; i++)
        {
            assertEquals(10_000, checkRepeatedly(valid, invalid, 10_000));
        }
        threads.getThreadAllocatedBytes(threadId);

        // One object per check would be at least 16 bytes a check; the JVM itself may allocate a few hundred bytes on
        // this thread now and then (a compiled method being installed), so the bound is far below one object per
        // hundred checks rather than exactly zero.
        final int checks = 200_000;
        for (int round = 0; round < 5; round++)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            final int errors = checkRepeatedly(valid, invalid, checks / 2);
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            assertEquals(checks / 2, errors);
            assertTrue(allocated < checks / 100, allocated + " bytes allocated by " + checks + " name checks");
        }
    }

    private static int checkRepeatedly(final DirectBuffer valid, final DirectBuffer invalid, final int times)
    {
        int errors = 0;
        for (int i = 0; i < times; i++)
        {
            errors += null == Protocol.checkName(valid, 0, valid.capacity(), 64) ? 0 : 1;
            errors += null == Protocol.checkName(invalid, 0, invalid.capacity(), 64) ? 0 : 1;
            errors += Protocol.indexOfControl(valid, 0, valid.capacity()) + Protocol.indexOfControl(invalid, 0, 11) + 2;
        }
        return errors;
    }
}
