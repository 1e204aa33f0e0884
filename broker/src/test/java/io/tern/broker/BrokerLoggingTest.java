/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code log-level} and {@code log-file} on a logger of the test's own standing in for the root logger: the level
 * filters, the file gets one formatted line per record appended and written through, the console handler is out while
 * the file is in, and closing puts everything back.
 */
@Timeout(10)
class BrokerLoggingTest
{
    @Test
    void shouldAppendRecordsAtOrAboveTheLevelToTheFileInsteadOfTheConsole(@TempDir final Path dir) throws Exception
    {
        final Logger root = Logger.getLogger("tern.test.logging.root");
        root.setUseParentHandlers(false);
        final ConsoleHandler console = new ConsoleHandler();
        root.addHandler(console);
        final Path file = dir.resolve("broker.log");
        Files.writeString(file, "an earlier line\n");

        try (BrokerLogging ignored = BrokerLogging.apply(root, BrokerLogging.Level.WARNING, file))
        {
            assertEquals(List.of(), List.of(root.getHandlers()).stream().filter(h -> h == console).toList(),
                "the console is out while the log goes to the file");
            root.info("not logged: below warning");
            root.warning("a slow consumer");
            root.severe("a failure\nwith a forged second line");
            // Written through: no close or flush needed to see the lines.
            final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            assertEquals(3, lines.size(), String.valueOf(lines));
            assertEquals("an earlier line", lines.get(0), "appended, not truncated");
            assertTrue(lines.get(1).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARNING " +
                "tern\\.test\\.logging\\.root: a slow consumer"), lines.get(1));
            assertTrue(lines.get(2).endsWith("SEVERE tern.test.logging.root: a failure\\x0awith a forged second line"),
                "one line a record, as on the console: " + lines.get(2));
        }
        assertTrue(List.of(root.getHandlers()).contains(console), "the console is back");
        assertEquals(1, root.getHandlers().length, "the file handler is gone");
        root.warning("after close");
        assertEquals(3, Files.readAllLines(file, StandardCharsets.UTF_8).size(), "nothing more in the file");
        root.removeHandler(console);
    }

    @Test
    void shouldLetDebugLinesThroughTheConsole() throws Exception
    {
        final Logger root = Logger.getLogger("tern.test.logging.debug");
        root.setUseParentHandlers(false);
        final ConsoleHandler console = new ConsoleHandler();
        root.addHandler(console);
        try (BrokerLogging ignored = BrokerLogging.apply(root, BrokerLogging.Level.DEBUG, null))
        {
            assertEquals(Level.FINE, root.getLevel());
            assertTrue(console.getLevel().intValue() <= Level.FINE.intValue(), "the console passes FINE too");
            assertNotNull(root.getHandlers()[0]);
        }
        assertEquals(null, root.getLevel(), "the level as it was");
        root.removeHandler(console);
    }
}
