/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    void shouldCountBytesNotCharactersAndAllowBytesAbove0x7F()
    {
        final String fourTwoByteCharacters = "\u00e9\u00e9\u00e9\u00e9";
        assertNull(Protocol.checkName(fourTwoByteCharacters, MAX));
        assertEquals(NameError.TOO_LONG, Protocol.checkName(fourTwoByteCharacters + "\u00e9", MAX));
        assertNull(checkInBuffer(new byte[]{ (byte)0x80, (byte)0xFF }, MAX));
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
        for (int b = 0; b < 256; b++)
        {
            final byte[] name = { 'a', (byte)b, 'z' };
            final NameError expected = b == ',' ? NameError.COMMA : b == ':' ? NameError.COLON :
                b < 0x20 || b == 0x7F ? NameError.CONTROL : null;
            assertNameError(expected, name);
        }
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
        }
        return errors;
    }
}
