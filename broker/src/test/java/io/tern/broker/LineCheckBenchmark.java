/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import io.tern.transport.Protocol;

/**
 * The router's check of every line for control characters ({@link Protocol#indexOfControl}), alone: its cost per
 * line, for lines of {@code bytes} bytes of clean text. {@code ascii} is the loadgen's kind of text (hex and letters),
 * on the fast path throughout; {@code utf8} mixes accented Latin and CJK (multi-byte, no C1 lead byte), also on the
 * fast path; {@code tabs} has a tab in every eight bytes, so every word is looked at byte by byte: the worst case for
 * text the broker accepts. Garbage-free: expect {@code gc.alloc.rate.norm} ≈ 0 B/op.
 */
public class LineCheckBenchmark extends BenchmarkSupport
{
    @Param({ "64", "1024", "65536" })
    public int bytes;

    @Param({ "ascii", "utf8", "tabs" })
    public String text;

    private UnsafeBuffer line;

    @Setup
    public void setUp()
    {
        final String unit = switch (text)
        {
            case "ascii" -> "0123456789abcdefghijklmnopqrstuvwxyz";
            case "utf8" -> "caf\u00e9 \u00fcber \u4f60\u597d\u4e16\u754c ";
            case "tabs" -> "abcdefg\t";
            default -> throw new IllegalArgumentException(text);
        };
        final byte[] unitBytes = unit.getBytes(StandardCharsets.UTF_8);
        final byte[] bytesOfLine = new byte[bytes];
        for (int i = 0; i < bytes; i++)
        {
            bytesOfLine[i] = unitBytes[i % unitBytes.length];
        }
        line = new UnsafeBuffer(bytesOfLine);
        if (Protocol.indexOfControl(line, 0, bytes) >= 0)
        {
            throw new IllegalStateException("the benchmark's text has a control character: " + text);
        }
    }

    /** One line checked, as the router checks each message line. */
    @Benchmark
    public int checkLine()
    {
        return Protocol.indexOfControl(line, 0, bytes);
    }
}
