/** Placeholder while this page is being built (issue 6). */
import { PageHeader } from '../components/common';

export default function Page() {
  return <PageHeader title="audit" />;
}
