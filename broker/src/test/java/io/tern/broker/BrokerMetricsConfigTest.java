/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.tern.broker.Settings.ADMIN_BIND;
import static io.tern.broker.Settings.ADMIN_PORT;
import static io.tern.broker.Settings.HISTOGRAM_LOG_DIR;
import static io.tern.broker.Settings.STATS_INTERVAL_MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The observability settings: admin-port, admin-bind, stats-interval-ms, histogram-log-dir.
 */
class BrokerMetricsConfigTest
{
    @Test
    void shouldDefaultToAnAdminEndpointOnLoopbackAndNoStatsOrLogs()
    {
        final BrokerConfig config = new BrokerConfig().conclude();
        assertEquals(8081, config.get(ADMIN_PORT));
        assertEquals("127.0.0.1", config.get(ADMIN_BIND));
        assertEquals(0, config.get(STATS_INTERVAL_MS));
        assertNull(config.get(HISTOGRAM_LOG_DIR));
        assertTrue(BrokerMain.commandLine().getUsageMessage().contains("--admin-port"));
        assertTrue(config.describe().contains(" admin-port=8081 "), config.describe());
    }

    @Test
    void shouldTakeAnyFreeAdminPortWhenTheBrokerTakesAnyFreePortUnlessTold()
    {
        assertEquals(0, new BrokerConfig().port(0).conclude().get(ADMIN_PORT), "several test brokers must not clash");
        assertEquals(8081, new BrokerConfig().port(0).adminPort(8081).conclude().get(ADMIN_PORT));
        assertEquals(-1, new BrokerConfig().port(0).adminOff().conclude().get(ADMIN_PORT));
    }

    @Test
    void shouldSwitchTheAdminEndpointOffWithOff()
    {
        assertEquals(-1, new BrokerConfig().set("admin-port", "off").conclude().get(ADMIN_PORT));
        assertEquals(-1, new BrokerConfig().adminOff().conclude().get(ADMIN_PORT));
        assertEquals(0, new BrokerConfig().adminPort(0).conclude().get(ADMIN_PORT));
    }

    @Test
    void shouldRejectBadObservabilitySettingsNamingThem(@TempDir final Path dir) throws Exception
    {
        assertRejected(new BrokerConfig().set("admin-port", "70000"), "--admin-port=70000: ", "or 'off'");
        assertRejected(new BrokerConfig().set("admin-port", "none"), "--admin-port=none: ", "or 'off'");
        assertRejected(new BrokerConfig().port(9000).adminPort(9000), "--admin-port=9000: ", "differ from --port");
        assertRejected(new BrokerConfig().adminBind(" "), "--admin-bind= : ", "empty");
        assertRejected(new BrokerConfig().statsIntervalMs(-1), "--stats-interval-ms=-1: ", "");
        assertRejected(new BrokerConfig().statsIntervalMs(10), "--stats-interval-ms=10: ", "at least 100");
        final Path file = Files.createFile(dir.resolve("a-file"));
        assertRejected(new BrokerConfig().histogramLogDir(file), "--histogram-log-dir=" + file + ": ",
            "not a directory");
    }

    private static void assertRejected(final BrokerConfig config, final String prefix, final String reason)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, config::conclude);
        assertTrue(ex.getMessage().startsWith(prefix), ex.getMessage());
        assertTrue(ex.getMessage().contains(reason), ex.getMessage());
    }
}
