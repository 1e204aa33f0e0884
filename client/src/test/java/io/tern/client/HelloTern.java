/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.client.TernClient;
import io.tern.client.TernClientConfig;

import java.time.Duration;

public final class HelloTern
{
    public static void main(final String[] args) throws Exception
    {
        final int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        try (TernClient alice = TernClient.connect(new TernClientConfig()
            .host("127.0.0.1").port(port).name("alice")
            .onMessage((from, text) -> System.out.println(from + ": " + text))
            .onError(error -> System.out.println(error))))
        {
            alice.send("bob, carol", "hello from alice");
            alice.flush(Duration.ofSeconds(5)); // routed: a reply for an absent name has been printed by now
            System.out.println("press Enter to quit");
            System.in.read();
        }
    }
}
