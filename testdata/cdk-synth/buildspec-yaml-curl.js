// fromObjectToYaml with a download piped into a shell, and a project that is not privileged.
const cdk = require('aws-cdk-lib');
const codebuild = require('aws-cdk-lib/aws-codebuild');
class AppStack extends cdk.Stack {
  constructor(scope, id) {
    super(scope, id);
    new codebuild.PipelineProject(this, 'Tools', {
      buildSpec: codebuild.BuildSpec.fromObjectToYaml({
        version: '0.2',
        phases: {
          install: { commands: ['curl -fsSL https://get.example.com/install.sh | bash'] },
          build: { commands: ['docker build --pull -t tools .'] },
        },
      }),
    });
  }
}

const app = new cdk.App({ outdir: process.env.CDK_OUTDIR });
new AppStack(app, 'AppStack');
app.synth();
