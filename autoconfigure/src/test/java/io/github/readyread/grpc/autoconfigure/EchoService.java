package io.github.readyread.grpc.autoconfigure;

import net.devh.boot.grpc.server.service.GrpcService;

/**
 * The shared echo service, found by net.devh's service discovery.
 */
@GrpcService
class EchoService extends io.github.readyread.grpc.EchoService {

}
