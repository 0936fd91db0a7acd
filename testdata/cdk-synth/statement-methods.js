// A PolicyStatement completed with methods after it was attached.
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');

class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    const role = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    const statement = new iam.PolicyStatement();
    role.addToPolicy(statement);
    statement.addActions('dynamodb:*');
    statement.addAllResources();
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
