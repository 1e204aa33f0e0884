/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.broker.BrokerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's example program is {@link HelloTern}, word for word (so it compiles with the build), and it runs:
 * against a real broker where bob answers and carol is absent, it prints bob's answer and the reply for carol.
 */
class ReadmeExampleTest extends ClientTestSupport
{
    private static final Path README = Path.of("..", "README.md");
    private static final Path EXAMPLE = Path.of("src", "test", "java", "io", "tern", "client", "HelloTern.java");

    @Test
    @Timeout(10)
    void shouldShowInTheReadmeExactlyTheExampleThatIsBuilt() throws Exception
    {
        final String readme = Files.readString(README);
        final String section = readme.substring(readme.indexOf("## Using tern from Java"));
        final int start = section.indexOf("```java\n") + "```java\n".length();
        final String block = section.substring(start, section.indexOf("```\n", start));
        final String file = Files.readString(EXAMPLE);
        // The file's body: what follows its package line (the README's reader needs no package).
        final String body = file.substring(file.indexOf('\n', file.indexOf("package ")) + 1).stripLeading();
        assertEquals(body, block);
    }

    @Test
    @Timeout(30)
    void shouldRunTheExampleAgainstABroker() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final AtomicReference<TernClient> bob = new AtomicReference<>();
        bob.set(connect(new TernClientConfig().port(port()).name("bob")
            .onMessage((from, text) -> bob.get().send(from, "hi " + from))));

        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final PipedOutputStream enter = new PipedOutputStream();
        final InputStream in = System.in;
        final PrintStream out = System.out;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread program;
        try (PipedInputStream keyboard = new PipedInputStream(enter))
        {
            System.setIn(keyboard);
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            program = new Thread(() ->
            {
                try
                {
                    HelloTern.main(new String[]{ Integer.toString(port()) });
                }
                catch (final Throwable t)
                {
                    failure.set(t);
                }
            }, "hello-tern");
            program.start();
            await(() -> printed.toString(StandardCharsets.UTF_8).contains("bob: hi alice"), "bob's answer printed");
            enter.write('\n');
            enter.flush();
            program.join(WAIT.toMillis());
        }
        finally
        {
            System.setIn(in);
            System.setOut(out);
        }
        assertNull(failure.get());
        final String text = printed.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("NO_SUCH_PEER (send 1): error: no peer 'carol'\n"), text);
        assertTrue(text.contains("bob: hi alice\n"), text);
        assertTrue(!program.isAlive(), "the example ends on Enter");
    }
}
