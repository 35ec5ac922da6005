import Foundation

extension StandInHub {
    /// How long `stop()` and `takeDown()` wait for the server's threads to end.
    static let threadEndTimeout: Double = 5

    /// Opens the server on 127.0.0.1 at `port`, 0 (the default) for an ephemeral port; see `port` for the result.
    ///
    /// Does nothing when the server is already up.
    public func start(port requestedPort: Int = 0) throws {
        try withLock {
            guard !state.isListening else { return }
            try openListener(port: requestedPort)
        }
    }

    /// Closes the listener and every connection, and waits (a few seconds at most) for their threads to end.
    ///
    /// Records and entries stay readable afterwards. Delayed answers in progress are abandoned.
    public func stop() {
        closeEverything()
        withLock {
            if let reserved = state.reservedPort { Sockets.closeDescriptor(reserved) }
            state.reservedPort = nil
        }
    }

    /// Makes the server unreachable, as if it went down: connecting is refused and open connections are closed.
    ///
    /// `bringUp()` opens it again on the same port.
    public func takeDown() {
        closeEverything()
        // Keep the port bound but not listening: connecting is refused, and no connection made
        // elsewhere in the meantime can take the port before `bringUp()`.
        withLock {
            if state.reservedPort == nil, state.port != 0 {
                state.reservedPort = try? Sockets.bind(port: state.port)
            }
        }
    }

    /// Opens the server again on the port it had, after `takeDown()`.
    public func bringUp() throws {
        try withLock {
            guard !state.isListening else { return }
            guard state.port != 0 else { throw SocketError(call: "bringUp before start", code: 0) }
            try openListener(port: state.port, reserved: state.reservedPort)
            state.reservedPort = nil
        }
    }

    /// Binds the listener and starts the thread that accepts connections. Must be called with the lock held.
    private func openListener(port: Int, reserved: Int32? = nil) throws {
        let (listener, actualPort) = try reserved.map { try Sockets.listen(bound: $0) } ?? Sockets.listen(port: port)
        let wakePipe: (read: Int32, write: Int32)
        do {
            wakePipe = try Sockets.makeWakePipe()
        } catch {
            Sockets.closeDescriptor(listener)
            throw error
        }
        state.listener = listener
        state.wakePipe = wakePipe
        state.port = actualPort
        state.isListening = true
        state.acceptLoops += 1
        let generation = state.generation
        let thread = Thread { [self] in
            acceptLoop(listener: listener, wake: wakePipe.read, generation: generation)
        }
        thread.name = "StandInHub accept"
        thread.start()
    }

    /// Closes the listener and all connections, then waits for the accept and connection threads to end.
    private func closeEverything() {
        let (listener, wakePipe) = withLock { () -> (Int32?, (read: Int32, write: Int32)?) in
            state.generation += 1
            let closing = (state.listener, state.wakePipe)
            state.listener = nil
            state.wakePipe = nil
            state.isListening = false
            // Shutting down (not closing) wakes threads blocked reading; each thread closes its own descriptor,
            // so no descriptor number is reused while another thread still holds it.
            for connection in state.openConnections {
                Sockets.shutdownBoth(connection)
            }
            condition.broadcast()
            return closing
        }
        if let wakePipe {
            Sockets.wake(wakePipe.write)
        }
        let deadline = Date().addingTimeInterval(Self.threadEndTimeout)
        withLock {
            while state.acceptLoops > 0, condition.wait(until: deadline) {}
        }
        if let listener { Sockets.closeDescriptor(listener) }
        if let wakePipe {
            Sockets.closeDescriptor(wakePipe.read)
            Sockets.closeDescriptor(wakePipe.write)
        }
        withLock {
            while state.connectionThreads > 0, condition.wait(until: deadline) {}
        }
    }

    /// Accepts connections until woken through the wake pipe, starting one thread per connection.
    private func acceptLoop(listener: Int32, wake: Int32, generation: Int) {
        defer {
            withLock {
                state.acceptLoops -= 1
                condition.broadcast()
            }
        }
        while Sockets.waitReadable(listener, orWake: wake) {
            guard let connection = Sockets.accept(listener) else {
                // A failed accept (the peer gave up, or no descriptors left): pause briefly rather than spin.
                Thread.sleep(forTimeInterval: 0.005)
                continue
            }
            let admitted = withLock { () -> (id: Int, idleTimeout: Double)? in
                guard state.generation == generation else { return nil }
                state.connectionCount += 1
                state.openConnections.insert(connection)
                state.connectionThreads += 1
                return (state.connectionCount, state.configuration.idleTimeout)
            }
            guard let admitted else {
                Sockets.closeDescriptor(connection)
                return
            }
            let thread = Thread { [self] in
                serve(connection, id: admitted.id, idleTimeout: admitted.idleTimeout)
            }
            thread.name = "StandInHub connection \(admitted.id)"
            thread.start()
        }
    }

    /// Answers requests on one connection until the peer closes it, it idles out, or the server stops.
    private func serve(_ fd: Int32, id: Int, idleTimeout: Double) {
        defer {
            withLock {
                state.openConnections.remove(fd)
                Sockets.closeDescriptor(fd)
                state.connectionThreads -= 1
                condition.broadcast()
            }
        }
        if idleTimeout > 0 {
            Sockets.setReceiveTimeout(fd, seconds: idleTimeout)
        }
        var connection = HTTPConnection(fd: fd)
        while true {
            let message: HTTPRequestMessage
            do {
                guard let next = try connection.readRequest() else { return }
                message = next
            } catch let error as HTTPParseError {
                let response = HTTPResponse.text("\(error)\n", status: error.status)
                _ = connection.write(response.serialized(keepAlive: false))
                return
            } catch {
                return
            }
            let keepAlive = message.head.wantsKeepAlive
            switch handle(message, connectionID: id) {
            case .respond(let response, let close):
                let staysOpen = keepAlive && !close
                guard connection.write(response.serialized(keepAlive: staysOpen)), staysOpen else { return }
            case .drop:
                return
            case .raw(let bytes):
                _ = connection.write(bytes)
                return
            }
        }
    }

    /// Waits `seconds`, unless the server stops or goes down first; true when the full time passed.
    ///
    /// `generation` is the one seen when the request arrived, so a stop in between is not missed.
    func pause(seconds: Double, generation: Int) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        return withLock {
            while state.generation == generation {
                if Date() >= deadline { return true }
                _ = condition.wait(until: deadline)
            }
            return false
        }
    }
}
