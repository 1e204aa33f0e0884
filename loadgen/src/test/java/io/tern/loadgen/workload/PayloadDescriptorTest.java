/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.*;

class PayloadDescriptorTest
{
    private final PayloadFlyweight flyweight = new PayloadFlyweight();

    @Test
    void shouldRoundTripEveryFieldAtAnyOffsetAndSize()
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(1024);
        for (final int size : new int[]{PayloadDescriptor.MIN_PAYLOAD_BYTES, 65, 100, 1000})
        {
            final int offset = 7;
            PayloadDescriptor.encode(buffer, offset, size, 123_456, 0x1234_5678_9abcL, -42L, Long.MAX_VALUE);

            assertTrue(flyweight.wrap(buffer, offset, size, size), "size " + size);
            assertEquals(123_456, flyweight.senderIndex());
            assertEquals(0x1234_5678_9abcL, flyweight.sequence());
            assertEquals(-42L, flyweight.dueTimeNs());
            assertEquals(Long.MAX_VALUE, flyweight.sendTimeNs());
        }
    }

    @Test
    void shouldWriteOnlyCharactersTheBrokerPassesThroughUnchanged()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(200);
        PayloadDescriptor.encode(buffer, 0, 200, 1, 2, 3, 4);
        for (int i = 0; i < 200; i++)
        {
            final byte b = buffer.get(i);
            assertTrue((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z'), "byte " + i + " = " + b);
        }
    }

    @Test
    void shouldDetectAnySingleChangedByte()
    {
        final int size = 100;
        final ByteBuffer buffer = ByteBuffer.allocate(size);
        for (int i = 0; i < size; i++)
        {
            PayloadDescriptor.encode(buffer, 0, size, 3, 77, 1000, 2000);
            final byte original = buffer.get(i);
            // another character the payload could legitimately contain, so only the checksum can tell
            buffer.put(i, (byte)(original == 'a' ? 'b' : original == '0' ? '1' : 'a'));
            assertFalse(flyweight.wrap(buffer, 0, size, size), "change at " + i + " undetected");
        }
    }

    @Test
    void shouldChecksumTheSameInEitherByteOrderAtTheLargestSize()
    {
        final int size = PayloadDescriptor.MAX_PAYLOAD_BYTES - 3; // a tail shorter than a word
        final ByteBuffer big = ByteBuffer.allocateDirect(size + 5);
        final ByteBuffer little = ByteBuffer.allocateDirect(size + 5).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        PayloadDescriptor.encode(big, 5, size, 9, 25, 1, 2);
        PayloadDescriptor.encode(little, 5, size, 9, 25, 1, 2);
        assertEquals(big, little);
        assertTrue(flyweight.wrap(little, 5, size, size));
        assertEquals('z', big.get(5 + PayloadDescriptor.PADDING_OFFSET)); // sequence 25: the padding starts at 'z'
        assertEquals('a', big.get(5 + PayloadDescriptor.PADDING_OFFSET + 1));
    }

    @Test
    void shouldDetectTwoMessagesWithSwappedPadding()
    {
        final ByteBuffer first = ByteBuffer.allocate(100);
        final ByteBuffer second = ByteBuffer.allocate(100);
        PayloadDescriptor.encode(first, 0, 100, 0, 5, 0, 0);
        PayloadDescriptor.encode(second, 0, 100, 0, 6, 0, 0);
        for (int i = PayloadDescriptor.PADDING_OFFSET; i < 100; i++)
        {
            first.put(i, second.get(i));
        }
        assertFalse(flyweight.wrap(first, 0, 100, 100));
    }

    @Test
    void shouldRejectAWrongLengthOrNonHexHeader()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(100);
        PayloadDescriptor.encode(buffer, 0, 100, 0, 5, 0, 0);
        assertFalse(flyweight.wrap(buffer, 0, 99, 100));
        assertFalse(flyweight.wrap(buffer, 0, 100, 99));

        buffer.put(PayloadDescriptor.SEQUENCE_OFFSET, (byte)'g');
        assertFalse(flyweight.wrap(buffer, 0, 100, 100));
    }

    @Test
    void shouldRejectPayloadSizesOutsideTheLayout()
    {
        assertThrows(IllegalArgumentException.class, () -> PayloadDescriptor.checkPayloadBytes(63));
        assertThrows(IllegalArgumentException.class,
            () -> PayloadDescriptor.checkPayloadBytes(PayloadDescriptor.MAX_PAYLOAD_BYTES + 1));
        PayloadDescriptor.checkPayloadBytes(64);
    }
}
