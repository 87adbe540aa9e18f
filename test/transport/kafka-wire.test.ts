/**
 * The Kafka requests the doctor's clock check writes itself
 * (src/transport/kafka/wire.ts) against bytes worked out by hand from
 * Apache Kafka's message definitions (clients/src/main/resources/common/message/
 * DescribeTransactionsRequest.json and …Response.json, FindCoordinator,
 * InitProducerId, AddOffsetsToTxn, EndTxn, SaslHandshake, SaslAuthenticate;
 * RequestHeader v1/v2, ResponseHeader v0/v1), and the SASL messages against
 * their RFCs' examples.
 */
import { describe, expect, it } from 'vitest';
import { saslLogin } from '../../src/transport/kafka/sasl.js';
import {
  addOffsetsToTxnRequest,
  describeTransactionsRequest,
  endTxnRequest,
  findCoordinatorRequest,
  frame,
  initProducerIdRequest,
  parseDescribeTransactions,
  parseErrorOnly,
  parseFindCoordinator,
  parseFrame,
  parseInitProducerId,
  parseSaslAuthenticate,
  parseSaslHandshake,
  saslAuthenticateRequest,
} from '../../src/transport/kafka/wire.js';

/** Hex with spaces and comments, for bytes laid out field by field. */
const hex = (text: string) => Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');
const ascii = (text: string) => Buffer.from(text, 'latin1').toString('hex');

describe('request framing', () => {
  it('DescribeTransactions v0: request header v2 (client id a classic string, then empty tags) and a compact body', () => {
    const body = describeTransactionsRequest(['g.doctor.ab']);
    expect(frame(65, 0, true, 7, 'thoth', body)).toEqual(
      hex(`
        0000001e                # size: 30 bytes follow
        0041 0000 00000007      # api key 65, version 0, correlation id 7
        0005 ${ascii('thoth')}  # client id: int16 length + bytes, also in header v2
        00                      # header tagged fields: none
        02                      # TransactionalIds: compact array, 1 + 1
        0c ${ascii('g.doctor.ab')} # compact string: length 11 + 1
        00                      # body tagged fields: none
      `),
    );
  });

  it('writes a compact length past 127 as a two-byte unsigned varint', () => {
    const id = 'x'.repeat(130);
    // 131 = 0b1_0000011: low seven bits 0x03 with the continuation bit, then 0x01.
    expect(describeTransactionsRequest([id])).toEqual(hex(`02 8301 ${ascii(id)} 00`));
  });

  it('FindCoordinator v1 in request header v1: no tagged fields anywhere', () => {
    expect(frame(10, 1, false, 2, 'thoth', findCoordinatorRequest('g.doctor.ab', 1))).toEqual(
      hex(`
        0000001d 000a 0001 00000002 0005 ${ascii('thoth')}
        000b ${ascii('g.doctor.ab')}   # Key: int16 length + bytes
        01                             # KeyType: 1 = transaction
      `),
    );
  });

  it('InitProducerId v1, AddOffsetsToTxn v1 and EndTxn v1 bodies', () => {
    expect(initProducerIdRequest('g.doctor.ab', 10_000)).toEqual(hex(`000b ${ascii('g.doctor.ab')} 00002710`));
    expect(addOffsetsToTxnRequest('g.doctor.ab', 4242n, 3, 'g')).toEqual(
      hex(`000b ${ascii('g.doctor.ab')} 0000000000001092 0003 0001 ${ascii('g')}`),
    );
    expect(endTxnRequest('g.doctor.ab', 4242n, 3, false)).toEqual(hex(`000b ${ascii('g.doctor.ab')} 0000000000001092 0003 00`));
  });
});

describe('answers', () => {
  it('DescribeTransactions v0: response header v1, the start time, and tagged fields skipped', () => {
    const answer = hex(`
      00000007                  # correlation id
      00                        # response header v1: no tagged fields
      00000000                  # ThrottleTimeMs
      02                        # TransactionStates: 1 entry
        0000                    #   ErrorCode
        0c ${ascii('g.doctor.ab')}
        08 ${ascii('Ongoing')}  #   TransactionState
        00002710                #   TransactionTimeoutMs 10000
        0000018bcfe5687b        #   TransactionStartTimeMs 1700000000123
        0000000000001092        #   ProducerId 4242
        0003                    #   ProducerEpoch (int16)
        02                      #   TopicPartitions: 1 entry
          13 ${ascii('__consumer_offsets')}
          02 00000003           #     PartitionIndexes [3]
          00                    #     tags
        00                      #   tags
      01 00 02 abcd             # body tags: one field, tag 0, 2 bytes (a later version's; skipped)
    `);
    const { correlationId, body } = parseFrame(answer, true);
    expect(correlationId).toBe(7);
    expect(parseDescribeTransactions(body)).toEqual([
      {
        error: 0,
        transactionalId: 'g.doctor.ab',
        state: 'Ongoing',
        timeoutMs: 10_000,
        startTimeMs: 1_700_000_000_123,
        producerId: 4242n,
        epoch: 3,
        partitions: [{ topic: '__consumer_offsets', partitions: [3] }],
      },
    ]);
  });

  it('an answer cut short is an error that names the request, not a wrong reading', () => {
    const { body } = parseFrame(hex(`00000007 00 00000000 02 0000 0c ${ascii('g.doctor.ab')} 08`), true);
    expect(() => parseDescribeTransactions(body)).toThrow('the DescribeTransactions answer is cut short');
  });

  it('FindCoordinator v1, InitProducerId v1, AddOffsetsToTxn/EndTxn v1 (response header v0)', () => {
    const found = parseFrame(hex(`00000002 00000000 0000 ffff 00000001 0009 ${ascii('127.0.0.1')} 00002384`), false);
    expect(found.correlationId).toBe(2);
    expect(parseFindCoordinator(found.body)).toEqual({ error: 0, message: null, nodeId: 1, host: '127.0.0.1', port: 9092 });
    expect(parseInitProducerId(hex('00000000 0000 0000000000001092 0000'))).toEqual({ error: 0, producerId: 4242n, epoch: 0 });
    expect(parseErrorOnly(hex('00000000 0033'), 'AddOffsetsToTxn')).toEqual({ error: 51 });
  });

  it('SaslHandshake v1 and SaslAuthenticate v1', () => {
    expect(parseSaslHandshake(hex(`0021 00000002 0005 ${ascii('PLAIN')} 000d ${ascii('SCRAM-SHA-256')}`))).toEqual({
      error: 33,
      mechanisms: ['PLAIN', 'SCRAM-SHA-256'],
    });
    expect(saslAuthenticateRequest(Buffer.from('abc'))).toEqual(hex(`00000003 ${ascii('abc')}`));
    expect(parseSaslAuthenticate(hex(`0000 ffff 00000002 6869 0000000000000000`))).toEqual({
      error: 0,
      message: null,
      token: Buffer.from('hi'),
    });
  });
});

describe('SASL messages', () => {
  it('PLAIN (RFC 4616): empty authorisation id, user, password, NUL-separated', () => {
    const login = saslLogin({ mechanism: 'plain', username: 'thoth', password: 'secret' });
    expect(login.first()).toEqual(Buffer.from('\u0000thoth\u0000secret'));
    expect(login.next(Buffer.alloc(0))).toBeNull();
  });

  it('SCRAM-SHA-256: the exchange of RFC 7677 section 3, byte for byte', () => {
    const login = saslLogin({ mechanism: 'scram-sha-256', username: 'user', password: 'pencil' }, 'rOprNGfwEbeRWgbNEkqO');
    expect(login.name).toBe('SCRAM-SHA-256');
    expect(login.first().toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = login.next(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(final?.toString()).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(login.next(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeNull();
  });

  it('SCRAM refuses a server signature that does not match and a nonce the client did not start', () => {
    const login = saslLogin({ mechanism: 'scram-sha-256', username: 'user', password: 'pencil' }, 'rOprNGfwEbeRWgbNEkqO');
    login.first();
    login.next(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(() => login.next(Buffer.from('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toThrow(/signature does not match/);
    const other = saslLogin({ mechanism: 'scram-sha-512', username: 'user', password: 'pencil' }, 'abc');
    other.first();
    expect(() => other.next(Buffer.from('r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))).toThrow(/challenge is malformed/);
  });
});
