/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LogLineFormatter} writes what {@link SimpleFormatter} writes with the broker's format, to the character.
 */
class LogLineFormatterTest
{
    private static final String FORMAT_PROPERTY = "java.util.logging.SimpleFormatter.format";

    @Test
    @Timeout(10)
    void shouldWriteWhatSimpleFormatterWritesWithTheBrokerFormat()
    {
        final SimpleFormatter simple = simpleFormatterWithBrokerFormat();
        final LogLineFormatter formatter = new LogLineFormatter();
        final long[] epochMillis = {0L, 1_764_759_569_329L, 1_764_759_569_005L, 1_764_759_569_050L,
            1_764_759_570_999L, 1_764_759_570_000L};
        for (final long millis : epochMillis)
        {
            for (final Level level : new Level[]{Level.INFO, Level.WARNING, Level.SEVERE, Level.FINE})
            {
                final LogRecord record = new LogRecord(level,
                    "peer 'alice' (connection #7 from /127.0.0.1:33226) connected");
                record.setLoggerName("io.tern.broker.Router");
                record.setInstant(Instant.ofEpochMilli(millis).plusNanos(123_456));
                assertEquals(simple.format(record), formatter.format(record));
            }
        }
    }

    @Test
    @Timeout(10)
    void shouldWriteParametersAndTheStackTraceAsSimpleFormatterDoes()
    {
        final SimpleFormatter simple = simpleFormatterWithBrokerFormat();
        final LogLineFormatter formatter = new LogLineFormatter();
        final LogRecord record = new LogRecord(Level.SEVERE, "accepting {0} failed");
        record.setLoggerName("io.tern.transport.Acceptor");
        record.setParameters(new Object[]{"a connection"});
        record.setThrown(new IllegalStateException("bug"));
        assertEquals(simple.format(record), formatter.format(record));

        final LogRecord noLogger = new LogRecord(Level.INFO, null);
        assertEquals(simple.format(noLogger), formatter.format(noLogger));
    }

    @Test
    @Timeout(10)
    void shouldEscapeControlCharactersInTheMessageSoALogLineStaysOneLine()
    {
        final LogLineFormatter formatter = new LogLineFormatter();
        final LogRecord record = new LogRecord(Level.INFO,
            "connection #7 refused: why\r2026-12-03 00:00:00.000 INFO forged\n\u001b[2J\u009b1m\u007f\tend");
        record.setLoggerName("io.tern.transport.Authenticator");
        record.setInstant(Instant.ofEpochMilli(1_764_759_569_329L));
        final String line = formatter.format(record);
        assertTrue(line.endsWith(": connection #7 refused: why\\x0d2026-12-03 00:00:00.000 INFO forged\\x0a" +
            "\\x1b[2J\\u{9B}1m\\x7f\tend" + System.lineSeparator()), line);
        assertEquals(1, line.split(System.lineSeparator(), -1).length - 1, "one line");

        final String clean = "peer 'zo\u00eb \u65e5' (connection #7 from /127.0.0.1:33226) connected";
        assertSame(clean, LogLineFormatter.printable(clean), "nothing to escape: the same string, no copy");
    }

    private static SimpleFormatter simpleFormatterWithBrokerFormat()
    {
        final String before = System.getProperty(FORMAT_PROPERTY);
        System.setProperty(FORMAT_PROPERTY, LogLineFormatter.FORMAT);
        try
        {
            return new SimpleFormatter();
        }
        finally
        {
            if (null == before)
            {
                System.clearProperty(FORMAT_PROPERTY);
            }
            else
            {
                System.setProperty(FORMAT_PROPERTY, before);
            }
        }
    }
}
