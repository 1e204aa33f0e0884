/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.tern.broker.Settings.ADMIN_PORT;
import static io.tern.broker.Settings.AUTH_FILE;
import static io.tern.broker.Settings.MAX_CONNECTIONS;
import static io.tern.broker.Settings.MAX_LINE_BYTES;
import static io.tern.broker.Settings.MAX_QUEUED_BYTES_PER_PEER;
import static io.tern.broker.Settings.PORT;
import static io.tern.broker.Settings.THREADING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --config FILE}: one {@code name value} a line, options on the command line override it, and every mistake
 * names the file and the line.
 */
class BrokerConfigFileTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(10)
    void shouldReadBothFormsWithCommentsBlankLinesAndQuotes() throws IOException
    {
        final BrokerConfig config = read(
            "# a comment",
            "",
            "port 0",
            "  max-line-bytes = 1024   # trailing comment",
            "max-queued-bytes-per-peer=65536",
            "threading \"dedicated\"",
            "auth-file \"\"",
            "admin-port off");

        config.conclude();
        assertEquals(0, config.get(PORT));
        assertEquals(1024, config.get(MAX_LINE_BYTES));
        assertEquals(65536L, config.get(MAX_QUEUED_BYTES_PER_PEER));
        assertEquals(BrokerConfig.ThreadingMode.DEDICATED, config.get(THREADING));
        assertNull(config.get(AUTH_FILE));
        assertEquals(-1, config.get(ADMIN_PORT));
    }

    @Test
    @Timeout(10)
    void shouldLetTheCommandLineOverrideTheFile() throws IOException
    {
        final Path file = write("port 0", "max-connections 10", "max-line-bytes 1024", "max-queued-bytes-per-peer 65536");

        final BrokerConfig config = BrokerMain.config(BrokerMain.commandLine().parseArgs(
            "--max-connections", "20", "--config", file.toString(), "--max-line-bytes=2048")).conclude();

        assertEquals(20, config.get(MAX_CONNECTIONS), "the option wins, wherever it is on the command line");
        assertEquals(2048, config.get(MAX_LINE_BYTES), "the option wins in the --name=value form too");
        assertEquals(65536L, config.get(MAX_QUEUED_BYTES_PER_PEER), "the file's value where no option overrides it");
        assertEquals(0, config.get(PORT));
    }

    @Test
    @Timeout(10)
    void shouldCountAnAdminPortInTheFileAsGiven() throws IOException
    {
        assertEquals(8081, read("port 0", "admin-port 8081").conclude().get(ADMIN_PORT));
        assertEquals(0, read("port 0").conclude().get(ADMIN_PORT));
    }

    @Test
    @Timeout(10)
    void shouldRejectAnUnknownNameWithItsLine()
    {
        final String message = rejected("port 0", "# comment", "prot 8080");
        assertTrue(message.endsWith("test.conf:3: unknown setting 'prot'"), message);
        assertTrue(rejected("--port 8080").contains("without dashes"));
    }

    @Test
    @Timeout(10)
    void shouldRejectABadValueWithItsLineAndTheUsualMessage()
    {
        final String message = rejected("port 0", "ring-size 1000");
        assertTrue(message.endsWith("test.conf:2: --ring-size=1000: must be a power of two"), message);
        assertTrue(rejected("readers two").endsWith("test.conf:1: --readers=two: not a whole number"));
        assertTrue(rejected("threading sometimes").contains("must be one of auto, dedicated, shared"));
    }

    @Test
    @Timeout(10)
    void shouldRejectABadValueInTheFileEvenWhenAnOptionOverridesIt() throws IOException
    {
        final Path file = write("ring-size 1000");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> BrokerMain.config(
            BrokerMain.commandLine().parseArgs("--config", file.toString(), "--ring-size", "1024")));
        assertTrue(ex.getMessage().endsWith("test.conf:1: --ring-size=1000: must be a power of two"), ex.getMessage());
    }

    @Test
    @Timeout(10)
    void shouldNameTheLineWhenARuleBetweenSettingsFails() throws IOException
    {
        final BrokerConfig config = read("port 0", "max-line-bytes 65536", "max-queued-bytes-per-peer 65536");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, config::conclude);
        assertTrue(ex.getMessage().contains("test.conf:3: --max-queued-bytes-per-peer=65536: must be at least 2 x"),
            ex.getMessage());
    }

    @Test
    @Timeout(10)
    void shouldRejectANameGivenTwiceAMissingValueAndAnOpenQuote()
    {
        assertTrue(rejected("port 1", "port 2").endsWith("test.conf:2: port is already set on line 1"));
        assertTrue(rejected("port").contains("test.conf:1: port needs a value"));
        assertTrue(rejected("bind \"127.0.0.1").contains("test.conf:1: bind: a quoted value"));
    }

    private BrokerConfig read(final String... lines) throws IOException
    {
        final BrokerConfig config = new BrokerConfig();
        ConfigFile.read(write(lines), config);
        return config;
    }

    private String rejected(final String... lines)
    {
        return assertThrows(IllegalArgumentException.class, () -> read(lines)).getMessage();
    }

    private Path write(final String... lines) throws IOException
    {
        return Files.writeString(dir.resolve("test.conf"), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }
}
