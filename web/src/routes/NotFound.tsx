import { Link } from 'react-router';
import { EmptyState } from '../components/ui';

export function NotFound() {
  return (
    <EmptyState title="No such page">
      <Link className="underline" to="/">Back to the Command Center</Link>
    </EmptyState>
  );
}
