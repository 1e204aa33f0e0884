/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import java.nio.ByteBuffer;

import static io.tern.loadgen.workload.PayloadDescriptor.*;

/**
 * Reads a payload laid out by {@link PayloadDescriptor} in place, without creating objects.
 * <p>
 * Reused: one instance per reading thread; {@link #wrap(ByteBuffer, int, int)} decodes and checks every field at
 * once. Not thread safe.
 */
public final class PayloadFlyweight
{
    private int senderIndex;
    private long sequence;
    private long dueTimeNs;
    private long sendTimeNs;

    /**
     * Decodes the payload at {@code [index, index + length)} and checks it.
     *
     * @param buffer               holding the payload.
     * @param index                where it starts.
     * @param length               its length as received.
     * @param expectedPayloadBytes the configured payload size; any other length is corrupt.
     * @return true when the length, every hex field and the checksum are right; the getters are then valid.
     */
    public boolean wrap(final ByteBuffer buffer, final int index, final int length, final int expectedPayloadBytes)
    {
        if (length != expectedPayloadBytes || length < HEADER_LENGTH)
        {
            return false;
        }

        // Every digit's value is OR-ed into 'bad'; an invalid digit is -1, which makes it negative.
        int bad = 0;
        long value = 0;
        for (int i = index + SENDER_INDEX_OFFSET, end = i + SENDER_INDEX_LENGTH; i < end; i++)
        {
            final int digit = hexValue(buffer.get(i));
            bad |= digit;
            value = (value << 4) | (digit & 0xF);
        }
        senderIndex = (int)value;
        bad |= (int)(value >>> 31); // an index above Integer.MAX_VALUE is corrupt too

        sequence = 0;
        for (int i = index + SEQUENCE_OFFSET, end = i + SEQUENCE_LENGTH; i < end; i++)
        {
            final int digit = hexValue(buffer.get(i));
            bad |= digit;
            sequence = (sequence << 4) | (digit & 0xF);
        }

        dueTimeNs = 0;
        for (int i = index + DUE_TIME_OFFSET, end = i + DUE_TIME_LENGTH; i < end; i++)
        {
            final int digit = hexValue(buffer.get(i));
            bad |= digit;
            dueTimeNs = (dueTimeNs << 4) | (digit & 0xF);
        }

        sendTimeNs = 0;
        for (int i = index + SEND_TIME_OFFSET, end = i + SEND_TIME_LENGTH; i < end; i++)
        {
            final int digit = hexValue(buffer.get(i));
            bad |= digit;
            sendTimeNs = (sendTimeNs << 4) | (digit & 0xF);
        }

        long checksum = 0;
        for (int i = index + CHECKSUM_OFFSET, end = i + CHECKSUM_LENGTH; i < end; i++)
        {
            final int digit = hexValue(buffer.get(i));
            bad |= digit;
            checksum = (checksum << 4) | (digit & 0xF);
        }

        return bad >= 0 && (int)checksum == PayloadDescriptor.checksum(buffer, index, length);
    }

    public int senderIndex()
    {
        return senderIndex;
    }

    public long sequence()
    {
        return sequence;
    }

    public long dueTimeNs()
    {
        return dueTimeNs;
    }

    public long sendTimeNs()
    {
        return sendTimeNs;
    }
}
