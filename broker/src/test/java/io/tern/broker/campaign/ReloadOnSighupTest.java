/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.tern.broker.BrokerTestSupport;
import io.tern.broker.CredentialsFile;
import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGHUP, sent to the broker's process as an operator would ({@code kill -HUP}), reloads the credentials file: the
 * broker keeps running (the JVM's default was to exit with status 129) and a user added meanwhile can log in.
 */
class ReloadOnSighupTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void shouldReloadTheCredentialsOnSighupAndKeepRunning() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), 1_000);
        try (BrokerProcess broker = BrokerProcess.start(Path.of("target", "campaign", "sighup"), List.of("-Xmx128m"),
            // Not watched: the reload this test sees must be the signal's.
            List.of("--auth-file", users.toString(), "--admin-port", "off", "--auth-file-poll-ms", "0")))
        {
            final LineClient alice = login(broker, "alice s3cret", "alice");

            CredentialsFile.addUser(users, "carol", "c4rol".toCharArray(), 1_000);
            final Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(broker.pid())).inheritIO().start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && 0 == kill.exitValue(), "kill -HUP");
            BrokerTestSupport.awaitCondition("the reload to be logged", Duration.ofSeconds(10), () ->
            {
                try
                {
                    return Files.readString(broker.stderr(), StandardCharsets.UTF_8)
                        .contains("credentials reloaded from " + users + ": 2 users");
                }
                catch (final java.io.IOException ex)
                {
                    return false;
                }
            });

            assertTrue(broker.process().isAlive(), "the broker survived SIGHUP");
            final LineClient carol = login(broker, "carol c4rol", "carol");
            alice.send("carol: after the reload");
            carol.expectLine("from alice: after the reload");
            alice.close();
            carol.close();

            broker.terminate();
            assertEquals(0, broker.awaitExit(Duration.ofSeconds(20)));
        }
    }

    private static LineClient login(final BrokerProcess broker, final String firstLine, final String name)
        throws Exception
    {
        final LineClient client = LineClient.connect(broker.address()).name(name);
        client.sendRaw((firstLine + "\n").getBytes(StandardCharsets.UTF_8));
        client.send(name + ": in");
        client.expectLine("from " + name + ": in");
        return client;
    }
}
