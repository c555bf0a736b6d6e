/**
 * "What AWS requires" rows for trimtab's own stores on the alarm → fix path (issue 30): the claim of an
 * action key and its first action record written as one DynamoDB TransactWriteItems
 * (lib/audit/idempotency.ts ClaimWithRecordLayer). Not a resource type's call, so the rows render into
 * docs/audit-and-undo.md (lib/reference/aws-requires-pages.ts, AWS_REQUIRES_TOPIC_PAGES) and
 * test/unit/audit/aws-requires.test.ts checks them like the modules' rows. Elements: `claim-with-record`
 * (the transaction), `alarm-claim` (the alarm key's claim sent alongside the first read),
 * `sweep-checkpoint` (a split sweep unit's detector state in the audit table: lib/audit/checkpoints.ts, issue 29 §1).
 */
import type { AwsRequirement } from '../resources/aws-requires.ts';

const R = 'fresh-context review 2026-12-07: ';

export const AUDIT_ELEMENTS = ['claim-with-record', 'alarm-claim', 'sweep-checkpoint'];

const DTS = 'client-dynamodb TransactWriteItemsCommand.d.ts';
const SANDBOX_TEST = 'test/unit/sandbox/dynamodb-transact.test.ts';
const CLAIM_TEST = 'test/unit/audit/claim-transaction.test.ts';
const PATH_TEST = 'test/unit/triggers/alarm-calls.test.ts';
const CHECKPOINT_TEST = 'test/unit/audit/checkpoints.test.ts';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'A transaction groups 1 to 100 actions, each exactly one of ConditionCheck, Put, Update or Delete, in the caller\'s account and Region; the items together may not exceed 4 MB (each item 400 KB).',
    awsAnswers: 'ValidationException (400): "Member must have length less than or equal to 100"; "TransactItems can only contain one of Check, Put, Update or Delete".',
    source: `${DTS} (TransactWriteItems "groups up to 100 action requests"); botocore dynamodb/2012-08-10 TransactWriteItemList (min 1, max 100); the one-of message as moto reproduces it from AWS (belief for the exact text)`,
    trimtabDoes: 'Sends 2 Puts: the idempotency claim and the action record.',
    sandbox: 'lib/sandbox/services/dynamodb.ts LocalDynamo.transactWrite (TRANSACT_WRITE_MAX_ITEMS, TRANSACT_KINDS)',
    test: { file: SANDBOX_TEST, name: 'refuses two actions on one item, more than 100 actions and an action that is not exactly one kind, as AWS does' },
    reviewed: `${R}checked TransactWriteItemsCommand.d.ts (up to 100 actions, 4 MB aggregate, one account and Region) and botocore dynamodb/2012-08-10 TransactWriteItemList (min 1, max 100) against ClaimWithRecordLayer._putRecord (2 Puts, an idempotency item of 4 attributes and one action record) and LocalDynamo.transactWrite; agrees. Added the 4 MB / 400 KB bound to the rule (2 small items stay far below; the sandbox does not check it, docs/limitations.md)`,
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'No two actions of one transaction may target the same item.',
    awsAnswers: 'ValidationException (400) "Transaction request cannot include multiple operations on one item" (the d.ts lists it among the TransactionCanceledException causes; AWS answers it as a ValidationException before anything runs).',
    source: `${DTS} ("no two actions can target the same item"); the ValidationException text as AWS returns it (moto issue 6685, fakecloud PR 1911)`,
    trimtabDoes: 'The claim is an item of the idempotency table, the record an item of the audit table: never the same item.',
    sandbox: 'lib/sandbox/services/dynamodb.ts LocalDynamo.transactWrite (the `seen` keys per table)',
    test: { file: SANDBOX_TEST, name: 'refuses two actions on one item, more than 100 actions and an action that is not exactly one kind, as AWS does' },
    reviewed: `${R}checked TransactWriteItemsCommand.d.ts (the rule; listed among TransactionCanceledException causes) and the sandbox's per-table key check; the claim (idempotency table) and the record (audit table) can never be one item; agrees. The wire answer (ValidationException before anything runs) stays a belief from emulators, as the source says`,
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'All or nothing: when one condition fails, no action is applied and the reasons come back in request order: ConditionalCheckFailed (with the item when ReturnValuesOnConditionCheckFailure is ALL_OLD) for the refused one, the literal "None" for the others.',
    awsAnswers: 'TransactionCanceledException (400) with CancellationReasons [{Code, Message, Item}]; message "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]".',
    source: `${DTS} (TransactionCanceledException, "Cancellation reason codes": None, ConditionalCheckFailed); models_0.d.ts CancellationReason`,
    trimtabDoes: 'A refused claim (reason 0) becomes Powertools\' "already exists" with the stored record: the earlier result is replayed or the action is reported in progress; a refused record (reason 1) is an AuditConflictError naming the action and the idempotency key; the work never runs and nothing was written.',
    sandbox: 'lib/sandbox/services/dynamodb.ts LocalDynamo.transactWrite (conditions by dynalite\'s evaluator against a consistent read; TransactionCanceledException)',
    test: { file: CLAIM_TEST, name: 'refuses, naming the action and the key, when the record was already written by another writer; nothing is written and the work never runs' },
    reviewed: `${R}checked TransactWriteItemsCommand.d.ts (TransactionCanceledException; reasons in request order; "None" as a literal code with the message omitted; Item only with ALL_OLD) and models_0.d.ts CancellationReason against ClaimWithRecordLayer._putRecord (reason 0 -> IdempotencyItemAlreadyExistsError with the stored record, reason 1 -> the store's conflict, anything else -> TrimtabError, nothing written) and LocalDynamo.transactWrite; ran the test; agrees`,
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'The claim inside the transaction must block, and be blocked by, the same key claimed with a plain PutItem (the sweep, an approval): the same item and the same condition.',
    awsAnswers: 'A refused claim in either form: ConditionalCheckFailedException (PutItem) or TransactionCanceledException reason ConditionalCheckFailed (transaction).',
    source: 'node_modules/@aws-lambda-powertools/idempotency 2.35.0 lib/esm/persistence/DynamoDBPersistenceLayer.js _putRecord (item id, expiration in seconds, status, in_progress_expiration in ms; its ConditionExpression, names and values; ReturnValuesOnConditionCheckFailure ALL_OLD); TransactWriteItemsCommand.d.ts (Put "initiates a PutItem operation" with its own condition expression)',
    trimtabDoes: 'ClaimWithRecordLayer writes Powertools\' own item under CLAIM_CONDITION; replays and in-progress answers stay Powertools\'.',
    sandbox: 'lib/sandbox/services/dynamodb.ts LocalDynamo.transactWrite',
    test: { file: CLAIM_TEST, name: 'replays what the sweep did under the same key, writing no record, when the sweep claimed it with a plain PutItem first' },
    reviewed: `${R}compared ClaimWithRecordLayer._putRecord with Powertools 2.35.0 DynamoDBPersistenceLayer._putRecord in node_modules line by line: the same key attribute (id, no sort key), the same four attributes and number encodings, the same condition text, the same ExpressionAttributeNames and values (:now in seconds against expiration, :now_in_millis against in_progress_expiration), ALL_OLD; so an expired key and an abandoned in-progress key are reclaimable by either form alike. The only attribute Powertools adds is the payload validation hash, and only with payloadValidationJmesPath, which trimtab never sets. Both directions are tested (this test; "blocks a plain claim of the same key while the transaction's claim is in progress"); ran both; agrees. Source was a belief, now names the file read`,
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'Permissions: a Put in a transaction is governed by dynamodb:PutItem on its table (ConditionCheck by dynamodb:ConditionCheckItem); there is no separate action to grant.',
    awsAnswers: 'AccessDeniedException (400) when PutItem is not granted on one of the tables.',
    source: 'DynamoDB Developer Guide, "Using IAM with DynamoDB transactions"',
    trimtabDoes: 'No IAM change: lib/deploy/audit-stack.ts auditIamStatements already grants PutItem on the audit table and the idempotency table.',
    sandbox: 'not enforced: the sandbox does not evaluate IAM; the package tests check the granted actions',
    reviewed: `${R}checked the DynamoDB Developer Guide "Using IAM with DynamoDB transactions" (Put/Update/Delete/Get governed by the underlying PutItem/UpdateItem/DeleteItem/GetItem; ConditionCheck by dynamodb:ConditionCheckItem; a policy may single transactions out with the dynamodb:EnclosingOperation condition key) and lib/deploy/audit-stack.ts auditIamStatements (PutItem on TrimtabAuditTable and TrimtabIdempotencyTable); the transaction sends Puts only; agrees. A customer SCP denying PutItem under EnclosingOperation TransactWriteItems would fail the alarm path alone (AccessDeniedException, nothing written)`,
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'A transaction conflicting with a concurrent write to one of its items is cancelled (TransactionConflict); the other writer may be refused too: a plain PutItem on an item a transaction is writing gets TransactionConflictException.',
    awsAnswers: 'TransactionCanceledException (400) with reason TransactionConflict for the transaction; TransactionConflictException (400) for the plain PutItem (the sweep\'s or an approval\'s Powertools claim).',
    source: `${DTS} (TransactionConflict among the cancellation reasons, message "Transaction is ongoing for the item"); PutItemCommand.d.ts (TransactionConflictException: "Operation was rejected because there is an ongoing transaction for the item")`,
    trimtabDoes: 'Nothing special: the SDK retries neither a TransactionCanceledException nor a TransactionConflictException (neither is in @smithy/service-error-classification\'s throttling or transient lists); on the transaction side the error becomes a TrimtabError naming the reasons, nothing written, and the next delivery claims again; on the plain side Powertools wraps it (IdempotencyPersistenceLayerError), the action is not run and the next run claims again.',
    sandbox: 'not enforced: sandbox transactions are serialised with each other, and a plain write landing between a transaction\'s check and its write is refused by the re-sent condition rather than reported as TransactionConflict (docs/limitations.md)',
    reviewed: `${R}checked TransactWriteItemsCommand.d.ts and PutItemCommand.d.ts (TransactionConflictException), the SDK's retry classification in node_modules/@smithy/service-error-classification, and ClaimWithRecordLayer's catch (reasons other than ConditionalCheckFailed -> TrimtabError, nothing written); agrees. Added the plain writer's error code to the rule and the answer. No test: the sandbox cannot produce a conflict`,
  },
  {
    operation: 'dynamodb:PutItem',
    elements: ['alarm-claim'],
    rule: 'Reads change nothing, so the alarm key\'s conditional claim may be in flight while the run reads; it must be durable before the run\'s first write.',
    awsAnswers: 'ConditionalCheckFailedException (400) with the stored item under ALL_OLD when another delivery holds the key.',
    source: 'client-dynamodb PutItemCommand.d.ts (ConditionExpression, ReturnValuesOnConditionCheckFailure); Powertools 2.35 BasePersistenceLayer.saveInProgress',
    trimtabDoes: 'lib/triggers/handlers.ts actOnce sends the claim with the first read and awaits it before the findings\' record (onFindings / onUnevaluated); a delivery that finds the key taken stops there, having only read.',
    sandbox: 'dynalite evaluates the condition; lib/sandbox/services/dynamodb.ts failed() attaches the item',
    test: { file: PATH_TEST, name: 'writes nothing when another delivery holds the alarm key right now, and says so' },
    reviewed: `${R}checked PutItemCommand.d.ts (ConditionExpression; ReturnValuesOnConditionCheckFailure ALL_OLD puts the item on the ConditionalCheckFailedException) and Powertools 2.35.0 DynamoDBPersistenceLayer._putRecord (the plain claim, awaited by saveInProgress); the row's ordering claim (reads only while the claim is in flight) is the handler's, named test read and run; agrees`,
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'ClientRequestToken makes a transaction idempotent for 10 minutes: an identical retry with the same token changes nothing and succeeds; the same token with other parameters is refused; a retry while the first attempt is still running is refused as in progress.',
    awsAnswers: 'Success without a second write (same token, same request, within 10 minutes); IdempotentParameterMismatchException (400) for the same token with another request; TransactionInProgressException (400) while the first is running.',
    source: `${DTS} (IdempotentParameterMismatchException, TransactionInProgressException); models_0.d.ts TransactWriteItemsInput.ClientRequestToken (10-minute window); the SDK: ClientRequestToken is an idempotencyToken member, filled by @aws-sdk/core's JSON serializer when absent and reused by every retry of one send (checked by hand with a failing finalizeRequest middleware: one token on 3 attempts); @smithy/service-error-classification lists TransactionInProgressException as a throttling error (retried)`,
    trimtabDoes: 'Sends no token itself: the SDK fills one per send, so a retry after a lost response (timeout, 5xx) is the same transaction and succeeds instead of finding its own claim and reporting the action in progress; a new send (a new delivery) gets a new token, so IdempotentParameterMismatch cannot arise.',
    sandbox: 'not enforced: the sandbox answers the command before the SDK serialises it and keeps no tokens (docs/limitations.md, "The alarm path\'s stores")',
    reviewed: `${R}row added by the reviewer (the brief asked about ClientRequestToken / IdempotentParameterMismatch; no code change needed: the SDK behaviour was verified in node_modules)`,
  },
  {
    operation: 'dynamodb:BatchWriteItem',
    elements: ['sweep-checkpoint'],
    rule: 'One call holds at most 25 put or delete requests and at most 16 MB; each item is at most 400 KB (attribute names and values, UTF-8).',
    awsAnswers: 'ValidationException (400): "Member must have length less than or equal to 25"; "Item size has exceeded the maximum allowed size"; nothing in the call is written.',
    source: 'client-dynamodb BatchWriteItemCommand.d.ts ("up to 16MB of data … up to 25 item put or delete operations"; ValidationException: "more than 25 requests in the batch", "Any individual item in a batch exceeds 400 KB", "total request size exceeds 16 MB")',
    trimtabDoes: 'lib/audit/checkpoints.ts DynamoCheckpointStore.put cuts the state text into chunks of at most 350,000 UTF-8 bytes (CHUNK_BYTES, never inside a character) and sends 25 items a call (≤ 8.75 MB).',
    sandbox: 'dynalite validates the batch length and the item size with AWS\'s messages',
    test: { file: CHECKPOINT_TEST, name: 'is answered by the sandbox as AWS answers a batch of 26 items and an item over 400 KB (the limits the chunks stay under)' },
    reviewed: 'fresh-context review 2026-12-07 (rev5): BatchWriteItemCommand.d.ts (16 MB, 25 requests, ValidationException for more than 25 requests / an item over 400 KB / over 16 MB) checked; put() cuts 350,000-byte chunks at character boundaries (byteChunks) and the rest of an item (pk CHECKPOINT#<64 hex>#d, sk CHUNK#nnnnnn, kind, last, expiresAt with their names) is under 200 bytes, so an item stays under 409,600 bytes; 25 items a call ≤ 8.75 MB; test run; agrees',
  },
  {
    operation: 'dynamodb:BatchWriteItem',
    elements: ['sweep-checkpoint'],
    rule: 'The batch as a whole is not atomic: requests DynamoDB could not process (throughput exceeded, internal failure) come back in UnprocessedItems; AWS strongly recommends resending them with exponential backoff.',
    awsAnswers: 'HTTP 200 with UnprocessedItems (the table name → the requests not written); ProvisionedThroughputExceededException / ThrottlingException when none could be processed (the SDK retries those).',
    source: 'client-dynamodb BatchWriteItemCommand.d.ts (UnprocessedItems; "we strongly recommend that you use an exponential backoff algorithm")',
    trimtabDoes: 'Resends only the unprocessed requests, waiting 50 ms doubling up to 5 s, at most MAX_WRITE_ATTEMPTS (8) calls per batch; still unprocessed, the write fails with an error naming the state\'s hash (the checkpoint is never handed on half-written).',
    sandbox: 'not enforced: dynalite has no throughput limit and never returns UnprocessedItems; the resend is tested against a stub client',
    test: { file: CHECKPOINT_TEST, name: 'sends the items DynamoDB left unprocessed again, with growing waits' },
    reviewed: 'fresh-context review 2026-12-07 (rev5): BatchWriteItemCommand.d.ts (UnprocessedItems, "we strongly recommend that you use an exponential backoff algorithm") checked; writeBatch resends only UnprocessedItems[table], 50 ms doubling to 5 s, 8 calls, then a TrimtabError naming the hash; the stub-client tests run (also \'fails the write naming the hash when DynamoDB keeps items unprocessed\'); agrees',
  },
  {
    operation: 'dynamodb:BatchWriteItem',
    elements: ['sweep-checkpoint'],
    rule: 'A call DynamoDB throttles as a whole is answered with an error (the SDK retries it a few times with backoff); throttling can last longer than the retries.',
    awsAnswers: 'ThrottlingException or ProvisionedThroughputExceededException (400) once the SDK\'s retries are spent',
    source: 'client-dynamodb BatchWriteItemCommand.d.ts (@throws ProvisionedThroughputExceededException, ThrottlingException: "The request was denied due to request throttling")',
    trimtabDoes: 'The engine (lib/engine/run.ts) does not fail the invocation: it acts on what it found, as at any stop, ends the unit without a resume point (marked done, no partial state) and records an error naming the unit, how far it got and the stateful policies whose whole-unit conclusions wait for the next scheduled sweep; the sweep goes on with its other units. A unit is never started over in the same sweep (nothing is acted on twice). A state holding only saved reads (asg: its detectors hold nothing) falls back to the cursor alone.',
    sandbox: 'lib/sandbox/faults.ts faultRules (error throttled: ThrottlingException 400 for dynamodb, retried by the SDK)',
    test: { file: 'test/integration/sweep-split-unit.test.ts', name: 'ends the unit without a resume point, after acting on what it found, when DynamoDB keeps throttling the checkpoint write, and says so' },
    reviewed: 'fresh-context review 2026-12-07 (rev5): BatchWriteItemCommand.d.ts @throws ProvisionedThroughputExceededException and ThrottlingException ("Both indicate that the request was throttled") checked; lib/engine/run.ts catches any error of checkpoints.put (the SDK\'s ThrottlingException after its attempts, or the store\'s TrimtabError after 8 unprocessed rounds): detector state present, the unit is pushed to done without a partial (never started over, nothing acted on twice) and the error names the stateful policies; only #prepared, the cursor alone is handed on (prepare reads again); held candidates (newest of volume, an orphan waiting for a second snapshot) are dropped, not acted on: the conservative side; chunks already written before the failure are never referenced and expire by TTL; test run; agrees',
  },
  {
    operation: 'dynamodb:Query',
    elements: ['sweep-checkpoint'],
    rule: 'A Query returns at most 1 MB of data per call, with LastEvaluatedKey when more remains; it is eventually consistent unless ConsistentRead is true (base table only).',
    awsAnswers: 'A page with LastEvaluatedKey (not an error): a caller that stops there silently misses items; an eventually consistent read may miss an item written just before.',
    source: 'client-dynamodb QueryCommand.d.ts ("a maximum of 1 MB of data", LastEvaluatedKey; ConsistentRead "obtain a strongly consistent result")',
    trimtabDoes: 'DynamoCheckpointStore.get reads every page (paginateQuery) of each of the 8 shards\' partition keys with ConsistentRead: true, requires chunks 0, 1, … in order up to the one marked last, and re-hashes the text against the key; otherwise it refuses with an error naming the hash and the unit fails.',
    sandbox: 'dynalite pages Query results at 1 MB (db/index.js)',
    test: { file: CHECKPOINT_TEST, name: 'reads a state larger than one Query page (1 MB) across the pages, in order' },
    reviewed: 'fresh-context review 2026-12-07 (rev5): QueryCommand.d.ts ("a maximum of 1 MB of data", LastEvaluatedKey, ConsistentRead on a base table) checked; get() uses paginateQuery with ConsistentRead true on the table\'s own key (no index), checks the index/shard, the contiguity up to last and the SHA-256; test run; agrees',
  },
  {
    operation: 'dynamodb:BatchWriteItem',
    elements: ['sweep-checkpoint'],
    rule: 'One partition serves at most about 1,000 write units (1 KB each) a second, and all items under one partition key value start in one partition (adaptive capacity may split a hot key later, not at once).',
    awsAnswers: 'Writes past it are throttled: UnprocessedItems, or ThrottlingException / ProvisionedThroughputExceededException when none were processed.',
    source: 'belief: DynamoDB Developer Guide, "Partitions and data distribution" and "Burst and adaptive capacity" (per-partition maximum of 1,000 WCU and 3,000 RCU); not in the SDK model',
    trimtabDoes: 'Spreads a state\'s chunks over 8 partition keys (chunk i under CHECKPOINT#<hash>#<i mod 8>: SHARDS), so tens of MB are not written through one partition at 1 MB/s; what is still throttled is resent (row above).',
    sandbox: 'not enforced: dynalite has no partitions or throughput (docs/limitations.md, issue 29 subsection)',
    reviewed: 'fresh-context review 2026-12-07 (rev5): belief as stated (Developer Guide per-partition 1,000 WCU); chunk i goes under shard i mod 8 (checkpointPk), and get() queries all 8; no test can show throughput in dynalite; agrees',
  },
  {
    operation: 'dynamodb:BatchWriteItem',
    elements: ['sweep-checkpoint'],
    rule: 'TTL deletes an item some time after the epoch-seconds Number in the table\'s TTL attribute has passed (typically within a few days, not at once); until then an expired item is still returned by Query; a value that is not a Number in seconds is ignored.',
    awsAnswers: 'no error: expired items go away lazily, in no order (one chunk of a state can be gone while another is still there)',
    source: 'belief: DynamoDB Developer Guide, "Using time to live (TTL) in DynamoDB" (Number, epoch seconds; deleted within a few days of expiry; expired items still appear in reads until deleted)',
    trimtabDoes: 'each chunk carries the table\'s TTL attribute (settings.ttlAttribute, default expiresAt, the one serverless.yml enables) set to the write time + CHECKPOINT_TTL_DAYS (2) in seconds; a checkpoint is read by the next invocation seconds later, nothing relies on the deletion, and a state with a chunk already gone is refused by get() (contiguity and hash), never guessed',
    sandbox: 'not enforced: dynalite keeps expired items (no TTL process)',
    test: { file: CHECKPOINT_TEST, name: 'writes a state in chunks of at most the byte limit, 25 a call, and reads back the same text' },
    reviewed: 'fresh-context review 2026-12-07 (rev5): row added by the reviewer; the test asserts expiresAt = now + 2 days in seconds; the missing-chunk refusal is test "refuses a state with a chunk missing in the middle or at the end, naming the hash"',
  },
];
