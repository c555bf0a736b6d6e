/**
 * "What AWS requires" rows for trimtab's own stores on the alarm → fix path (issue 30): the claim of an
 * action key and its first action record written as one DynamoDB TransactWriteItems
 * (lib/audit/idempotency.ts ClaimWithRecordLayer). Not a resource type's call, so the rows render into
 * docs/audit-and-undo.md (lib/reference/aws-requires-pages.ts, AWS_REQUIRES_TOPIC_PAGES) and
 * test/unit/audit/aws-requires.test.ts checks them like the modules' rows. Elements: `claim-with-record`
 * (the transaction), `alarm-claim` (the alarm key's claim sent alongside the first read).
 */
import type { AwsRequirement } from '../resources/aws-requires.ts';

export const AUDIT_ELEMENTS = ['claim-with-record', 'alarm-claim'];

const DTS = 'client-dynamodb TransactWriteItemsCommand.d.ts';
const SANDBOX_TEST = 'test/unit/sandbox/dynamodb-transact.test.ts';
const CLAIM_TEST = 'test/unit/audit/claim-transaction.test.ts';
const PATH_TEST = 'test/unit/triggers/alarm-calls.test.ts';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'A transaction groups 1 to 100 actions, each exactly one of ConditionCheck, Put, Update or Delete.',
    awsAnswers: 'ValidationException (400): "Member must have length less than or equal to 100"; "TransactItems can only contain one of Check, Put, Update or Delete".',
    source: `${DTS} (TransactWriteItems "groups up to 100 action requests"); botocore dynamodb/2012-08-10 TransactWriteItemList (min 1, max 100); the one-of message as moto reproduces it from AWS (belief for the exact text)`,
    trimtabDoes: 'Sends 2 Puts: the idempotency claim and the action record.',
    sandbox: 'lib/sandbox/services/dynamodb.ts LocalDynamo.transactWrite (TRANSACT_WRITE_MAX_ITEMS, TRANSACT_KINDS)',
    test: { file: SANDBOX_TEST, name: 'refuses two actions on one item, more than 100 actions and an action that is not exactly one kind, as AWS does' },
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
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'The claim inside the transaction must block, and be blocked by, the same key claimed with a plain PutItem (the sweep, an approval): the same item and the same condition.',
    awsAnswers: 'A refused claim in either form: ConditionalCheckFailedException (PutItem) or TransactionCanceledException reason ConditionalCheckFailed (transaction).',
    source: 'belief: Powertools 2.35 DynamoDBPersistenceLayer._putRecord (item id/expiration/in_progress_expiration/status, its condition) is copied word for word (CLAIM_CONDITION); conditions are evaluated per item whatever the operation (TransactWriteItemsCommand.d.ts Put.ConditionExpression)',
    trimtabDoes: 'ClaimWithRecordLayer writes Powertools\' own item under CLAIM_CONDITION; replays and in-progress answers stay Powertools\'.',
    sandbox: 'lib/sandbox/services/dynamodb.ts LocalDynamo.transactWrite',
    test: { file: CLAIM_TEST, name: 'replays what the sweep did under the same key, writing no record, when the sweep claimed it with a plain PutItem first' },
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'Permissions: a Put in a transaction is governed by dynamodb:PutItem on its table (ConditionCheck by dynamodb:ConditionCheckItem); there is no separate action to grant.',
    awsAnswers: 'AccessDeniedException (400) when PutItem is not granted on one of the tables.',
    source: 'DynamoDB Developer Guide, "Using IAM with DynamoDB transactions"',
    trimtabDoes: 'No IAM change: lib/deploy/audit-stack.ts auditIamStatements already grants PutItem on the audit table and the idempotency table.',
    sandbox: 'not enforced: the sandbox does not evaluate IAM; the package tests check the granted actions',
  },
  {
    operation: 'dynamodb:TransactWriteItems',
    elements: ['claim-with-record'],
    rule: 'A transaction conflicting with a concurrent write to one of its items is cancelled (TransactionConflict); the other writer may be refused too.',
    awsAnswers: 'TransactionCanceledException with reason TransactionConflict (retryable).',
    source: `${DTS} (TransactionConflict among the cancellation reasons)`,
    trimtabDoes: 'Nothing special: the SDK does not retry a TransactionCanceledException; the error fails the action before anything is written, and the next delivery claims again.',
    sandbox: 'not enforced: sandbox transactions are serialised with each other, and a plain write landing between a transaction\'s check and its write is refused by the re-sent condition rather than reported as TransactionConflict (docs/limitations.md)',
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
  },
];
