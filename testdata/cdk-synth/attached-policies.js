// A Policy attached inline and a customer managed policy with statements.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const role = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    role.attachInlinePolicy(
      new iam.Policy(this, 'Passing', {
        statements: [new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: ['*'] })],
      }),
    );
    new iam.ManagedPolicy(this, 'Queues', {
      statements: [
        new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions: ['sqs:*'], resources: ['*'] }),
      ],
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
