/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link LogLineHandler} writes the bytes a console handler with {@link SimpleFormatter} and the broker's format
 * writes: the same lines, encoded the same way, and only records at or above its level.
 */
class LogLineHandlerTest
{
    @Test
    @Timeout(10)
    void shouldWriteTheLinesSimpleFormatterMakesEncodedAsAWriterDoes()
    {
        for (final Charset charset : new Charset[]{StandardCharsets.UTF_8, StandardCharsets.US_ASCII})
        {
            final SimpleFormatter simple = LogLineFormatterTest.simpleFormatterWithBrokerFormat();
            final ByteArrayOutputStream written = new ByteArrayOutputStream();
            final LogLineHandler handler = new LogLineHandler(written, charset);
            handler.setLevel(Level.INFO);
            final StringBuilder expected = new StringBuilder();
            final String[] messages = {
                "peer 'alice' (connection #7 from /127.0.0.1:33226) connected",
                "peer 'zoë' (connection #8 from /127.0.0.1:33227) connected",
                "x".repeat(5000), // longer than the handler's buffers
                "after the long one",
            };
            long millis = 1_764_759_569_329L;
            for (final String message : messages)
            {
                final LogRecord record = new LogRecord(Level.INFO, message);
                record.setLoggerName("io.tern.broker.Router");
                record.setInstant(Instant.ofEpochMilli(millis += 1001));
                handler.publish(record);
                expected.append(simple.format(record));

                final LogRecord fine = new LogRecord(Level.FINE, "below the level: not written");
                fine.setLoggerName("io.tern.broker.Router");
                handler.publish(fine);
            }
            final LogRecord thrown = new LogRecord(Level.WARNING, "with a stack trace");
            thrown.setThrown(new IllegalStateException("bug"));
            handler.publish(thrown);
            expected.append(simple.format(thrown));
            handler.close();

            assertArrayEquals(expected.toString().getBytes(charset), written.toByteArray(), charset.name());
        }
    }
}
